"""``archcost report``: the committed ``reports/`` is exactly what the command writes (timings aside)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archcost.cli import run

REPORTS = Path(__file__).resolve().parent.parent / "reports"
# Written by other tools, not by `archcost report` (catalog: benchmarks/catalog.py).
FOREIGN = ("timings", "benchmarks", "gpu", "catalog.md", "catalog")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.relative_to(folder).parts[0] not in FOREIGN}


def test_report_reproduces_the_committed_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not (REPORTS / "README.md").is_file():
        pytest.fail("reports/ is missing: run 'archcost report --no-timings' and commit it")
    assert run(["report", "--out", str(tmp_path), "--no-timings"]) == 0
    assert "README.md" in capsys.readouterr().out
    generated, committed = _files(tmp_path), _files(REPORTS)
    assert sorted(generated) == sorted(committed)
    changed = [name for name in generated if generated[name] != committed[name]]
    assert not changed, f"reports/ is stale in {changed}; regenerate with 'archcost report --no-timings'"


def test_index_shows_googlenet_and_inception_first() -> None:
    text = (REPORTS / "README.md").read_text(encoding="utf-8")
    googlenet = text.index("GoogLeNet, laid out as Table 1")
    inception = text.index("Inception module, naive vs bottleneck")
    assert googlenet < inception < text.index("## Every reproduce target")


def test_report_into_a_file_fails_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    assert run(["report", "--out", str(target)]) == 1
    assert capsys.readouterr().err.startswith("archcost: error: cannot write the report")
