"""Every command reads at 120 columns (issue 13 item 4): no line is wider, no number is split across lines, long
explanations are numbered notes, ``archcost list`` is one line per entry. Rendered through the real CLI with
COLUMNS=120 (rich reads it), the figures checked against the same command's JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import archcost
from archcost.cli import run

WIDTH = 120
GROUPED = re.compile(r"\d[\d,]*\d")


def _render(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> tuple[str, Any]:
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    assert run(argv) == 0
    text = capsys.readouterr().out
    assert run([*argv, "--format", "json"]) == 0
    return text, json.loads(capsys.readouterr().out)


def _integers(document: Any) -> Iterator[int]:
    if isinstance(document, bool):
        return
    if isinstance(document, int):
        yield document
    elif isinstance(document, dict):
        for value in document.values():
            yield from _integers(value)
    elif isinstance(document, list):
        for value in document:
            yield from _integers(value)


def _check_width_and_grouping(text: str) -> None:
    lines = text.splitlines()
    assert max(map(len, lines)) <= WIDTH, max(lines, key=len)
    for token in GROUPED.findall(text):
        if "," in token:  # a figure cut mid-digit breaks its thousands grouping (118,013,9 / 52)
            assert re.fullmatch(r"\d{1,3}(,\d{3})+", token), token


COMMANDS = [
    ["table", "googlenet"], ["table", "resnet50", "--depth", "3"], ["table", "googlenet", "--style", "paper"],
    ["table", "googlenet-fmnist", "--style", "keras"], ["table", "resnet18", "--explain", "layer1.0.residual.conv1"],
    ["compare", "resnet18", "resnet34"], ["reproduce", "googlenet-table1"], ["reproduce", "keras-fmnist"],
    ["list"], ["list", "resnet18"], ["cache", "info"], ["table", "alexnet", "--flops", "--convention", "full"],
]


def _fill_a_private_cache(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A cache folder of the test's own, which a real table run has filled: `cache info` then shows byte figures
    (the user's own cache may be empty or absent, and is none of the test's business)."""
    monkeypatch.setenv("ARCHCOST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ARCHCOST_NO_CACHE", raising=False)
    assert run(["table", "resnet20"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_every_command_fits_120_columns_with_numbers_whole(argv: list[str], capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if argv[0] == "cache":
        _fill_a_private_cache(capsys, monkeypatch, tmp_path)
    text, document = _render(capsys, monkeypatch, argv)
    _check_width_and_grouping(text)
    shown = set(GROUPED.findall(text))
    figures = {text for n in _integers(document) if n >= 1000 for text in (f"{n:,}", str(n))}
    assert figures & shown, "the table shows some of the JSON's figures, whole"


@pytest.mark.parametrize("name", ["googlenet", "resnet50", "efficientnet-b7", "vgg16", "inception-resnet-v1"])
def test_table_shows_every_shown_layers_params_and_macs_unsplit(name: str, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    if name not in archcost.list_architectures():
        pytest.skip(f"{name} is not in this registry")
    text, document = _render(capsys, monkeypatch, ["table", name])
    _check_width_and_grouping(text)
    words = set(text.split())
    for layer in document["layers"]:
        if layer["depth"] <= 2:
            assert f"{layer['params']:,}" in words and f"{layer['macs']:,}" in words, layer["name"]
    assert "118,013,952" in words or name != "googlenet"


def test_reproduce_explanations_become_numbered_notes(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    text, document = _render(capsys, monkeypatch, ["reproduce", "googlenet-table1"])
    # Each distinct part of a row's explanation is numbered once (K = 1024 is one sentence, said once).
    parts = {p for r in document["rows"] for p in (r.get("explanation") or "").split("; ") if p}
    assert parts, "googlenet-table1 explains some rows"
    refs = re.findall(r"^\[(\d+)\] ", text, re.MULTILINE)
    assert sorted(refs, key=int) == [str(n) for n in range(1, len(parts) + 1)]
    assert text.count("K read as 1024 for this column") == 1
    for number in refs:
        assert f"[{number}]" in text.split("\n[1] ")[0], "the reference is in the table, the text below it"


def test_list_is_one_line_per_entry(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    text, document = _render(capsys, monkeypatch, ["list"])
    names = [a["name"] for a in document["architectures"]]
    lines = text.splitlines()
    for name in names:
        assert sum(line.split()[:1] == [name] for line in lines) == 1, name
    assert len(lines) <= len(names) + 10  # header, rule, count and the note on left-out columns
