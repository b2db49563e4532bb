"""``--out FILE`` picks the format from FILE's suffix (cli/options.py), for every command with --format and --out."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from archcost.cli import run

# The naive Inception module (256 channels in, 28x28): 1x1x128, 3x3x192 and 5x5x96 convolutions, by hand.
NAIVE_MACS = 28 * 28 * 256 * (1 * 1 * 128 + 3 * 3 * 192 + 5 * 5 * 96)


def _table(tmp_path: Path, name: str, *extra: str) -> tuple[int, Path]:
    target = tmp_path / name
    return run(["table", "inception-naive", "--out", str(target), *extra]), target


def test_csv_suffix_writes_csv_with_the_json_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, target = _table(tmp_path, "g.csv")
    assert code == 0 and capsys.readouterr().out == ""
    rows = list(csv.DictReader(target.read_text().splitlines()))
    assert run(["table", "inception-naive", "--format", "json"]) == 0
    layers = json.loads(capsys.readouterr().out)["layers"]
    assert [(r["name"], int(r["params"]), int(r["macs"])) for r in rows] == \
        [(layer["name"], layer["params"], layer["macs"]) for layer in layers]
    assert int(rows[0]["macs"]) == NAIVE_MACS


def test_json_md_and_txt_suffixes(tmp_path: Path) -> None:
    assert _table(tmp_path, "g.json")[0] == 0
    assert json.loads((tmp_path / "g.json").read_text())["totals"]["macs"] == NAIVE_MACS
    assert _table(tmp_path, "g.md")[0] == 0
    markdown = (tmp_path / "g.md").read_text().splitlines()
    assert any(line.startswith("|:") or line.startswith("|--") or line.startswith("|-:") for line in markdown)
    assert any(line.startswith("| ") and f"{NAIVE_MACS:,}" in line for line in markdown)
    assert _table(tmp_path, "g.txt")[0] == 0
    assert "─" in (tmp_path / "g.txt").read_text()  # the terminal table's rule, as without --out


def test_unknown_suffix_keeps_the_table_text(tmp_path: Path) -> None:
    assert _table(tmp_path, "g.out")[0] == 0
    text = (tmp_path / "g.out").read_text()
    assert "─" in text and not text.lstrip().startswith("{")


def test_format_that_contradicts_the_suffix_is_one_line_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _table(tmp_path, "g.csv", "--format", "json")
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--format json contradicts" in err
    assert list(tmp_path.iterdir()) == []


def test_format_that_agrees_with_the_suffix(tmp_path: Path) -> None:
    assert run(["list", "resnet1*", "--format", "JSON", "--out", str(tmp_path / "l.json")]) == 0
    names = [a["name"] for a in json.loads((tmp_path / "l.json").read_text())["architectures"]]
    assert "resnet18" in names


def test_other_commands_follow_the_suffix(tmp_path: Path) -> None:
    assert run(["list", "resnet1*", "--out", str(tmp_path / "l.csv")]) == 0
    rows = list(csv.DictReader((tmp_path / "l.csv").read_text().splitlines()))
    assert "resnet18" in [r["name"] for r in rows]


def test_the_disk_cached_table_follows_the_suffix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHCOST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ARCHCOST_NO_CACHE", raising=False)
    for name in ("first.csv", "cached.csv"):  # the second comes from the disk cache the first stored
        assert run(["table", "inception-naive", "--out", str(tmp_path / name)]) == 0
    assert any((tmp_path / "cache").rglob("*.json"))
    assert (tmp_path / "cached.csv").read_text() == (tmp_path / "first.csv").read_text()
    assert int(next(csv.DictReader((tmp_path / "cached.csv").read_text().splitlines()))["macs"]) == NAIVE_MACS


def test_a_report_folder_with_a_suffix_is_not_a_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # report's --out is a folder (its own option, not OutOption): "r.md" with --format json is no contradiction, so
    # the run goes on to the next check, the unknown device, and stops there before writing anything.
    assert run(["report", "--out", str(tmp_path / "r.md"), "--format", "json", "--device", "tpu"]) == 2
    err = capsys.readouterr().err
    assert "unknown --device 'tpu'" in err and "contradicts" not in err
    assert not (tmp_path / "r.md").exists()
