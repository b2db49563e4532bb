"""``archcost report``: the committed ``reports/`` is exactly what the command writes (timings aside).

Text files are compared byte for byte. A chart's pixels (PNG) and glyph outlines (SVG) depend on the machine that
drew them (font rasterising, the float rounding of its CPU and libraries), so charts are compared by the data they
are drawn from (``charts/<name>.json``), numbers within a relative 1e-9, never by raster bytes across machines.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from archcost.cli import run
from archcost.cli.output import write_atomic

REPORTS = Path(__file__).resolve().parent.parent / "reports"
# Written by other tools, not by `archcost report` (catalog: benchmarks/catalog.py).
FOREIGN = ("timings", "benchmarks", "gpu", "catalog.md", "catalog")


IMAGES = (".png", ".svg", ".pdf")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.relative_to(folder).parts[0] not in FOREIGN}


def _close(a: Any, b: Any) -> bool:
    """Equal JSON documents, floats within a relative 1e-9 (a least-squares fit may round differently elsewhere)."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _same(name: str, generated: bytes, committed: bytes) -> bool:
    if name.startswith("charts/") and name.endswith(".json"):
        return _close(json.loads(generated), json.loads(committed))
    return generated == committed


def test_close_compares_numbers_not_bytes() -> None:
    assert _close({"x": [1.0, 2, "a"]}, {"x": [1.0 + 1e-12, 2, "a"]})
    assert not _close({"x": [1.0]}, {"x": [1.001]})
    assert not _close({"x": 1}, {"x": True}) and not _close({"x": 1}, {"y": 1}) and not _close([1], [1, 2])


def test_report_reproduces_the_committed_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not (REPORTS / "README.md").is_file():
        pytest.fail("reports/ is missing: run 'archcost report --no-timings' and commit it")
    previous = os.umask(0o027)  # the report's files follow the umask (checked here, where they are written anyway)
    try:
        assert run(["report", "--out", str(tmp_path), "--no-timings"]) == 0
    finally:
        os.umask(previous)
    assert "README.md" in capsys.readouterr().out
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.rglob("*") if p.is_file()} == {0o640}
    generated, committed = _files(tmp_path), _files(REPORTS)
    assert sorted(generated) == sorted(committed)
    changed = [name for name in generated
               if not name.endswith(IMAGES) and not _same(name, generated[name], committed[name])]
    assert not changed, f"reports/ is stale in {changed}; regenerate with 'archcost report --no-timings'"
    # Every chart picture has the data it is drawn from beside it, and that data is what is compared.
    for name in generated:
        if name.startswith("charts/") and name.endswith(IMAGES):
            assert name.rsplit(".", 1)[0] + ".json" in generated, name


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_honour_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    """write_atomic goes through a temporary file (created 0600) and a rename: the file must end up 0666 less the
    umask, as one written the ordinary way would, text and bytes alike, new or replacing an older file."""
    previous = os.umask(umask)
    try:
        for name, data in (("a.md", "text"), ("b.png", b"bytes")):
            (tmp_path / name).write_text("older")
            write_atomic(tmp_path / name, data)
            write_atomic(tmp_path / f"new-{name}", data)
    finally:
        os.umask(previous)
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {
        name: mode for name in ("a.md", "b.png", "new-a.md", "new-b.png")}


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
