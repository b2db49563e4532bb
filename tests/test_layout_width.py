"""The layout rule (archcost/layout.py, issue 23 items 1 and 7): every command's table view at 60, 80, 100, 120 and
200 columns keeps every line within the terminal, every data row's label, every figure whole (the digits shown are
the JSON output's own numbers) and every name (layer, type, network) unbroken: whole, or shortened in the middle
with "…" keeping its start and end, never split across lines.

Each command runs once through the real CLI; the renderable it prints is kept and drawn at each width by rich, as
a terminal of that width (or COLUMNS=N) draws it. Its JSON output, from a second run, is the reference."""

from __future__ import annotations

import io
import json
import re
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import rich.console
from rich.cells import cell_len

from archcost.cli import run
from archcost.zoo import registry

WIDTHS = (60, 80, 100, 120, 200)
RealConsole = rich.console.Console
FIGURE = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])")
DIGITS_CUT = re.compile(r"\d,\d{0,2}(?:…|$)|\d,\d{4}", re.MULTILINE)  # a figure cut or wrapped in its grouping
FIELD = re.compile(r"(?:^\s*|   )[\w%/ -]+?: ")  # a row block's "header: " before its value


class _Recorder:
    """Stands in for rich's Console in cli/output.py: keeps what the command prints instead of drawing it."""

    printed: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def print(self, renderable: Any) -> None:
        self.printed.append(renderable)


def _draw(renderable: Any, width: int) -> str:
    console = RealConsole(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def _views(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """What ``argv`` prints as a table (a rich renderable) and its JSON document."""
    _Recorder.printed = []
    with monkeypatch.context() as patch:
        patch.setattr(rich.console, "Console", _Recorder)
        assert run(argv) == 0, capsys.readouterr().err
    assert len(_Recorder.printed) == 1
    capsys.readouterr()
    assert run([*argv, "--format", "json"]) == 0
    return _Recorder.printed[0], json.loads(capsys.readouterr().out)


def _numbers(document: Any) -> Iterator[float]:
    if isinstance(document, bool):
        return
    if isinstance(document, (int, float)):
        yield document
    elif isinstance(document, str):  # a figure quoted in an explanation
        yield from (int(f.replace(",", "")) for f in FIGURE.findall(document) if "." not in f)
    elif isinstance(document, dict):
        if "adds" in document:  # the table's "other ops": the non-MAC classes summed
            yield sum(document.get(k) or 0 for k in ("adds", "muls", "cmps", "divs", "exps", "norm"))
        for value in document.values():
            yield from _numbers(value)
    elif isinstance(document, list):
        for value in document:
            yield from _numbers(value)


def _shown_as(name: str, token: str) -> bool:
    """``token`` shows ``name``: whole, or shortened in the middle (its start, "…", its end)."""
    token, name = token.strip("()[],:;"), name.strip("()[],:;")
    if token == name:
        return True
    head, sep, tail = token.partition("…")
    return bool(sep) and len(head) + len(tail) >= 2 and name.startswith(head) and name.endswith(tail)


def _check(text: str, width: int, document: Any, labels: list[str], names: set[str]) -> None:
    lines = text.splitlines()
    assert max(map(cell_len, lines)) <= width, max(lines, key=cell_len)
    numbers = list(_numbers(document))
    rounded: dict[int, set[float]] = {}
    for token in FIGURE.findall(text):  # every grouped figure shown whole and equal to one of the JSON's
        decimals = len(token.partition(".")[2])
        if decimals not in rounded:
            rounded[decimals] = {round(n, decimals) for x in numbers for n in (x, 2 * x)}  # FLOPs: 2 x MACs
        assert float(token.replace(",", "")) in rounded[decimals], (width, token)
    unlisted = re.sub(r",(?=\s)", "", text)  # a list's commas (1,000, 2,000) are not inside a figure
    assert not DIGITS_CUT.search(unlisted), (width, DIGITS_CUT.search(unlisted))
    tokens = text.split()
    for label in labels:  # every row's label is there, each of its words whole or shortened in the middle
        for word in label.split():
            assert any(_shown_as(word, t) for t in tokens), (width, label, word)
    cells = [t for line in _rows(lines) for t in line.split()]
    for token in cells:  # no name appears cut into pieces (a fold inside a word leaves a part of it)
        bare = token.strip("()[],:;")
        if "…" in bare or bare in names or len(bare) < 3:
            continue
        broken = [n for n in names if len(n) > len(bare) and (n.startswith(bare) or n.endswith(bare))]
        assert not broken, (width, bare, broken[:3])


def _rows(lines: list[str]) -> list[str]:
    """The tables' rows and the row blocks' values: indented lines, less the tables' headers (above their rule)
    and the fields' own headers ("params: ")."""
    headers: set[int] = set()
    for r, line in enumerate(lines):
        if "───" in line:
            i = r
            while i >= 0 and lines[i].strip():
                headers.add(i)
                i -= 1
    return [FIELD.sub(" ", line) for i, line in enumerate(lines) if line.startswith("  ") and i not in headers]


def _leaves(document: Any, depth: int) -> tuple[list[str], set[str]]:
    layers = [r for r in document["layers"] if r["depth"] <= depth]
    leaves = [r["name"].rpartition(".")[2] or document["model"] for r in layers]
    return leaves, {*leaves, *(r["type"] for r in layers if r.get("type")), document["model"]}


def _family_networks() -> list[str]:
    first: dict[str, str] = {}
    for name in registry.list_architectures():
        first.setdefault(registry.get(name).family, name)
    return sorted(first.values())


@pytest.fixture
def private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A disk cache of the test's own: the JSON run reads the table run's analysis back."""
    monkeypatch.setenv("ARCHCOST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ARCHCOST_NO_CACHE", raising=False)
    return tmp_path


def _run_widths(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                expected: Callable[[Any], tuple[list[str], set[str]]]) -> dict[int, str]:
    renderable, document = _views(argv, capsys, monkeypatch)
    labels, names = expected(document)
    assert labels, "the view has rows to check"
    drawn = {}
    for width in WIDTHS:
        drawn[width] = _draw(renderable, width)
        _check(drawn[width], width, document, labels, names)
    return drawn


@pytest.mark.parametrize("name", _family_networks())
def test_one_network_of_every_family_fits_every_width(name: str, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch, private_cache: Path) -> None:
    drawn = _run_widths(["table", name], capsys, monkeypatch, lambda d: _leaves(d, 2))
    assert "Left out at 200" not in drawn[200] or name.startswith("efficientnet")


DEEP_TREE = """
    from collections import OrderedDict

    import torch
    from torch import nn


    class DenseLayer(nn.Sequential):
        def __init__(self, channels):
            super().__init__(OrderedDict(norm1=nn.BatchNorm2d(channels), relu1=nn.ReLU(),
                                         conv1=nn.Conv2d(channels, channels, 1, bias=False),
                                         norm2=nn.BatchNorm2d(channels), relu2=nn.ReLU(),
                                         conv2=nn.Conv2d(channels, channels, 3, padding=1, bias=False)))


    class DenseBlock(nn.ModuleDict):
        def __init__(self, channels, layers):
            super().__init__({f"denselayer{i + 1}": DenseLayer(channels) for i in range(layers)})

        def forward(self, x):
            for layer in self.values():
                x = x + layer(x)
            return x


    class TorchvisionStyle(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(OrderedDict(
                conv0=nn.Conv2d(3, 8, 3, padding=1, bias=False), norm0=nn.BatchNorm2d(8),
                denseblock1=DenseBlock(8, 3), transition1=nn.Sequential(OrderedDict(
                    norm=nn.BatchNorm2d(8), conv=nn.Conv2d(8, 16, 1, bias=False), pool=nn.AvgPool2d(2))),
                denseblock2=DenseBlock(16, 2), norm5=nn.BatchNorm2d(16)))
            self.adaptive_average_pooling_of_the_features = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Linear(16, 10)

        def forward(self, x):
            x = self.adaptive_average_pooling_of_the_features(self.features(x))
            return self.classifier(torch.flatten(x, 1))


    def build():
        return TorchvisionStyle()
"""


def test_a_torchvision_style_deep_tree_fits_every_width(capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source = tmp_path / "deep_tree.py"
    source.write_text(textwrap.dedent(DEEP_TREE))
    monkeypatch.chdir(tmp_path)
    argv = ["table", "deep_tree.py:build", "--input", "3x32x32", "--depth", "5"]
    drawn = _run_widths(argv, capsys, monkeypatch, lambda d: _leaves(d, 5))
    for width in WIDTHS:  # a depth-3 layer whole, and the last block's 16x16x3x3 conv2 weights
        assert "denselayer2" in drawn[width].split() and "2,304" in drawn[width].split(), drawn[width]
    long = "adaptive_average_pooling_of_the_features"  # shortened in the middle at 60, whole at 200
    assert any("…" in t and _shown_as(long, t) for t in drawn[60].split()) and long in drawn[200].split()


VIEWS = {
    "train table": (["table", "resnet20", "--mode", "train", "--depth", "2"], lambda d: _leaves(d, 2)),
    "train table depth 1": (["table", "resnet20", "--mode", "train", "--depth", "1"], lambda d: _leaves(d, 1)),
    "googlenet depth 1": (["table", "googlenet", "--depth", "1"], lambda d: _leaves(d, 1)),
    "compare inception": (["compare", "inception-naive", "inception-bottleneck"],
                          lambda d: ([r["quantity"] for r in d["totals"]] + [r["block"] for r in d["blocks"]],
                                     {*d["models"], *(r["block"].split()[0] for r in d["blocks"])})),
    "compare resnet": (["compare", "resnet18", "resnet34"],
                       lambda d: ([r["quantity"] for r in d["totals"]] + [r["block"] for r in d["blocks"]],
                                  {*d["models"], *(r["block"] for r in d["blocks"])})),
    "reproduce": (["reproduce", "inception-module"],
                  lambda d: ([r["row"] for r in d["rows"]], set())),
    "explain": (["table", "googlenet", "--explain", "inception3a.branch2"],
                lambda d: ([o["module"] for o in d["ops"]], {o["module"] for o in d["ops"]})),
    "plot memory": (["plot", "memory", "resnet18", "--format", "table"],
                    lambda d: ([str(r["batch"]) for r in d["rows"]], set())),
    "paper style": (["table", "googlenet", "--style", "paper"],
                    lambda d: ([r["type"] for r in d["rows"]], set())),
    "plot accuracy": (["plot", "accuracy", "--format", "table"],
                      lambda d: ([r["arch"] for r in d["rows"]],
                                 {n for r in d["rows"] for n in (r["arch"], r["family"])})),
    "plot inception": (["plot", "inception", "--format", "table"],
                       lambda d: ([r["module"] for r in d["rows"]], {r["module"] for r in d["rows"]})),
    "plot layers": (["plot", "layers", "resnet18", "--format", "table"],
                    lambda d: ([r["block"] for r in d["rows"]], {r["block"] for r in d["rows"]})),
    "plot scaling": (["plot", "scaling", "--format", "table"], lambda d: ([r["curve"] for r in d["rows"]], set())),
    "reproduce googlenet": (["reproduce", "googlenet-table1"], lambda d: ([r["row"] for r in d["rows"]], set())),
    "list one": (["list", "resnet18"], lambda d: ([a["name"] for a in d["architectures"][0]["arguments"]], set())),
    "cache info": (["cache", "info"], lambda d: ([d["folder"]], set())),
    "list": (["list"], lambda d: ([a["name"] for a in d["architectures"]],
                                  {n for a in d["architectures"] for n in (a["name"], a["family"])})),
}


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_every_view_fits_every_width(view: str, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch, private_cache: Path) -> None:
    argv, expected = VIEWS[view]
    _run_widths(argv, capsys, monkeypatch, expected)


@pytest.mark.parametrize("stem", ["cpu-timing", "layers", "batch-scaling"])
def test_bench_tables_fit_every_width(stem: str) -> None:
    """`archcost bench`'s tables, from the committed measurements (a bench run times real kernels for minutes)."""
    from archcost.cli.bench import bench_output
    from archcost.render import Format, render

    document = json.loads((Path(__file__).resolve().parent.parent / "reports" / "measured" / f"{stem}.json")
                          .read_text())
    labels = [r["arch"] for r in document["results"]]
    names = {*labels, *(p["type"] for r in document["results"] for p in r.get("layers", []) if p.get("type"))}
    renderable = render(bench_output(document), Format.TABLE)
    for width in WIDTHS:
        _check(_draw(renderable, width), width, document, labels, names)
