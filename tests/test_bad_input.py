"""Bad input stops at the door (issue 21, items 6-8): one line and an exit code from the CLI, archcost's own error
naming the argument from the API; a user's folder never shadows archcost's dependencies; a user's error in a
train-mode forward is theirs, with file and line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import pytest

from archcost.cli import run

ROOT = Path(__file__).resolve().parent.parent

USER_MODELS = """
    from torch import nn


    def build():
        return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())


    class Raises(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            self.conv(x)
            raise ValueError("no such branch")  # LINE forward


    class Mismatched(nn.Module):
        def __init__(self):
            super().__init__()
            self.ok = nn.Conv2d(3, 4, 3)
            self.broken = nn.Linear(5, 5)

        def forward(self, x):
            return self.broken(self.ok(x))  # LINE mismatched
"""

# Modules archcost imports (directly or through torch) after the user's module: a file named like each, beside it.
SHADOWS = ("rich", "typer", "pandas", "matplotlib", "numpy", "PIL", "yaml", "jinja2", "sympy")


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A current folder holding mymodels.py; the import system is put back afterwards."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "mymodels.py").write_text(textwrap.dedent(USER_MODELS))
    monkeypatch.chdir(work)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield work
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


def _console_script(tmp_path: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """archcost as its console script runs it (sys.path[0] is the script's folder), in a fresh process, so no
    dependency is imported yet when the user's module is."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir(exist_ok=True)
    (bin_folder / "archcost").write_text("from archcost.cli import main\nmain()\n")
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "ARCHCOST_NO_CACHE": "1"}
    return subprocess.run([sys.executable, str(bin_folder / "archcost"), *argv], capture_output=True, text=True,
                          cwd=cwd, env=environment)


@pytest.mark.parametrize("spec", ["mymodels:build", "mymodels.py:build"])
def test_a_file_named_like_a_dependency_in_the_users_folder_is_never_imported(tmp_path: Path, folder: Path,
                                                                              spec: str) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    for name in SHADOWS:
        (folder / f"{name}.py").write_text(f"open({str(markers / name)!r}, 'w').close()\n")
    # table's text output imports rich after the user's module; compare imports pandas for its table.
    for argv in (("table", spec, "--input", "3x16x16"), ("compare", spec, "resnet18", "--input", "3x16x16")):
        done = _console_script(tmp_path, folder, *argv)
        assert done.returncode == 0, done.stderr
        assert "Conv2d" in done.stdout or "mymodels" in done.stdout
    assert sorted(p.name for p in markers.iterdir()) == []


def test_a_users_error_in_a_train_mode_forward_is_theirs_with_file_and_line(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, "table", "mymodels:Raises", "--input", "3x16x16", "--mode", "train", "--no-cache")
    line = next(i for i, text in enumerate(textwrap.dedent(USER_MODELS).splitlines(), 1) if "# LINE forward" in text)
    assert (code, out) == (1, "")
    assert err == f"archcost: error: mymodels.py:{line} in forward: ValueError: no such branch\n"


@pytest.mark.parametrize(("argv", "names"), [
    (["table", "resnet18", "--input", "3x99999999999999999999x32"], "'3x99999999999999999999x32' is too large"),
    (["table", "resnet18", "--input", "3x9223372036854775807x32"], "'3x9223372036854775807x32' is too large"),
    (["table", "resnet18", "--input", f"2x3x{2**29}x{2**29}"], "(batch included) has more elements"),
    (["table", "resnet18", "--batch", str(2**62)], "(batch included) has more elements"),
    # Under the bound, but the first conv's output (64 channels at half the size, 2**62 floats) is not.
    (["table", "resnet18", "--input", f"3x{2**29}x{2**29}"], "stem.conv (Conv2d) would make a tensor torch cannot"),
    (["table", "resnet18", "--set", "num_classes=-5"], "num_classes=-5 (--set num_classes takes a positive number"),
])
def test_a_value_torch_cannot_take_is_one_line_and_exit_2(argv: list[str], names: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, *argv, "--no-cache")
    assert (code, out) == (2, "")
    assert err.startswith("archcost: error: ") and err.count("\n") == 1, err
    assert names in err
    assert "internal error" not in err


def test_the_largest_input_the_bound_allows_is_analysed(capsys: pytest.CaptureFixture[str]) -> None:
    """The bound is exactly 2**60 - 1 elements: one element fewer than the refused shape is counted (on meta).
    A single Linear keeps the hand formula: MACs = tokens x in x out."""
    import torch

    import archcost
    from archcost.errors import ShapeError

    model = torch.nn.Linear(1, 2)
    tokens = 2**60 - 1
    analysis = archcost.analyze(model, (tokens, 1), device="meta")
    assert analysis.totals["macs"] == tokens * 1 * 2
    with pytest.raises(ShapeError, match="too large"):
        archcost.analyze(model, (tokens + 1, 1), device="meta")


def test_plot_layers_takes_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, "table", "resnet18", "--input", "3x32x32", "--format", "json", "--no-cache")
    assert code == 0, err
    import json

    expected = json.loads(out)["totals"]
    code, out, err = _cli(capsys, "plot", "layers", "resnet18", "--input", "3x32x32", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["input_shape"] == [1, 3, 32, 32]
    assert (document["total_macs"], document["total_params"]) == (expected["macs"], expected["params"])
    image = tmp_path / "layers.png"
    code, _, err = _cli(capsys, "plot", "layers", "resnet18", "--input", "3x32x32", "--out", str(image))
    assert code == 0, err
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _linear() -> object:
    import torch

    return torch.nn.Sequential(torch.nn.Linear(8, 4))


@pytest.mark.parametrize(("call", "argument", "accepts"), [
    (lambda a: a.analyze(_linear(), "8", batch="2"), "batch", "a whole number"),
    (lambda a: a.analyze(_linear(), "8", batch=2.0), "batch", "a whole number"),
    (lambda a: a.analyze(_linear(), "8", batch=True), "batch", "a whole number"),
    (lambda a: a.analyze(None, "8"), "model_or_name", "an nn.Module"),
    (lambda a: a.analyze(_linear(), 8), "input_shape", "a shape string"),
    (lambda a: a.analyze(_linear(), [8.0]), "input_shape", "a shape string"),
    (lambda a: a.analyze(_linear(), "8", device=None), "device", "one of auto, meta, cpu, cuda"),
    (lambda a: a.analyze(_linear(), "8", convention=1), "convention", "a string, one of"),
    (lambda a: a.analyze(_linear(), "8", dtype=None), "dtype", "float32"),
    (lambda a: a.analyze(_linear(), "8", checkpoint="0", mode="train"), "checkpoint", "a list or tuple of strings"),
    (lambda a: a.analyze(_linear(), "8", replay_repeats="no"), "replay_repeats", "True or False"),
    (lambda a: a.analyze(_linear(), "8", mode="train", optimizer=0), "optimizer", "adam"),
    (lambda a: a.analyze(_linear(), "8", mode="train", master_dtype=32), "master_dtype", "float32"),
    (lambda a: a.build(None), "spec", "a network name"),
    (lambda a: a.build("resnet18", device=0), "device", "meta, cpu"),
    (lambda a: a.list_architectures(5), "pattern", "an fnmatch pattern"),
    (lambda a: a.analyze(_linear(), "8").explain(None), "name", "a layer's name"),
    (lambda a: a.analyze(_linear(), "8").layer(0), "name", "a layer's name"),
])
def test_an_api_argument_of_the_wrong_type_is_archcosts_error_naming_it(call: object, argument: str,
                                                                         accepts: str) -> None:
    import archcost
    from archcost.errors import ArgumentTypeError, UsageError

    with pytest.raises(ArgumentTypeError) as caught:
        call(archcost)  # type: ignore[operator]
    assert str(caught.value).startswith(f"{argument} takes ")
    assert accepts in str(caught.value)
    assert isinstance(caught.value, UsageError) and isinstance(caught.value, TypeError)


def test_the_right_types_still_count_the_hand_formula() -> None:
    """The checks refuse nothing valid: Linear(8, 4) at batch 2 is 2 x 8 x 4 MACs, 8 x 4 + 4 parameters."""
    import archcost

    analysis = archcost.analyze(_linear(), "8", batch=2, checkpoint=[])
    assert (analysis.totals["macs"], analysis.totals["params"]) == (2 * 8 * 4, 8 * 4 + 4)
    assert analysis.layer("0")["params"] == 36 and len(analysis.explain("0")) >= 1
    matched = archcost.list_architectures("resnet1?")
    assert "resnet18" in matched and "resnet50" not in matched and "resnet101" not in matched


def test_a_torch_error_under_the_users_train_mode_forward_says_where_they_called_it(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As inference does: exit 1 and the user's line; not a usage error."""
    code, _, err = _cli(capsys, "table", "mymodels:Mismatched", "--input", "3x16x16", "--mode", "train",
                        "--no-cache")
    line = next(i for i, text in enumerate(textwrap.dedent(USER_MODELS).splitlines(), 1)
                if "# LINE mismatched" in text)
    assert code == 1
    assert err.startswith("archcost: error: --mode train: the training step of mymodels:Mismatched failed: "
                          "RuntimeError: ")
    assert err.endswith(f"(from mymodels.py:{line} in forward)\n") and err.count("\n") == 1


def test_replay_repeats_is_accepted_with_a_deprecation_warning_and_changes_nothing() -> None:
    """The replay engines are gone (issue 22): the argument stays a contract, warned about, with no effect."""
    import archcost

    with pytest.warns(DeprecationWarning, match="replay_repeats"):
        analysis = archcost.analyze(_linear(), "8", batch=2, replay_repeats=False)
    assert (analysis.totals["macs"], analysis.provenance["replay"]) == (2 * 8 * 4, False)
