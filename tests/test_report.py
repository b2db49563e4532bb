"""``archcost report``: the committed ``reports/`` is exactly what the command writes (timings aside).

Text files are compared byte for byte. A chart's pixels (PNG) and glyph outlines (SVG) depend on the machine that
drew them (font rasterising, the float rounding of its CPU and libraries), so charts are compared by the data they
are drawn from (``charts/<name>.json``), numbers within a relative 1e-9, never by raster bytes across machines.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from archcost.cli import run
from archcost.report_folder import MARKER
from archcost.writes import write_file

REPORTS = Path(__file__).resolve().parent.parent / "reports"
# Written by other tools, not by `archcost report` (catalog: benchmarks/catalog.py), or measured (measured/: not
# deterministic); kept as they are by a `--no-timings` run.
FOREIGN = ("timings", "benchmarks", "gpu", "catalog.md", "catalog", "measured")


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
    for name in FOREIGN:  # what other tools wrote is kept and linked from the index, as in the repository
        source = REPORTS / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        elif source.is_file():
            shutil.copy2(source, tmp_path / name)
    previous = os.umask(0o027)  # the report's files follow the umask (checked here, where they are written anyway)
    try:
        # A previous report (archcost's own files are listed in it); made under the umask, as its mode is kept.
        (tmp_path / MARKER).write_bytes((REPORTS / MARKER).read_bytes())
        assert run(["report", "--out", str(tmp_path), "--no-timings"]) == 0
    finally:
        os.umask(previous)
    assert "README.md" in capsys.readouterr().out
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.rglob("*") if p.is_file()
            and p.relative_to(tmp_path).parts[0] not in FOREIGN} == {0o640}
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
    """write_file goes through a temporary file (created 0600) and a rename: the file must end up 0666 less the
    umask, as one written the ordinary way would, text and bytes alike, new or replacing an older file."""
    previous = os.umask(umask)
    try:
        for name, data in (("a.md", "text"), ("b.png", b"bytes")):
            (tmp_path / name).write_text("older")
            write_file(tmp_path / name, data)
            write_file(tmp_path / f"new-{name}", data)
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


def _fakes() -> Any:
    """The simulated timing source of tests/plots (loaded by path: the test folders are not packages)."""
    import importlib.util

    path = Path(__file__).parent / "plots" / "test_measured_fakes.py"
    spec = importlib.util.spec_from_file_location("test_measured_fakes", path)
    assert spec is not None and spec.loader is not None
    module = sys.modules.setdefault("test_measured_fakes", importlib.util.module_from_spec(spec))
    if not hasattr(module, "FakeRunner"):
        spec.loader.exec_module(module)
    return module


def _simulated_measure() -> Any:
    from archcost.timing.report import MeasurePlan, measure_report

    fakes = _fakes()
    runner = fakes.FakeRunner()
    plan = MeasurePlan(archs=tuple(fakes.PROFILE), batch_archs=("resnet18",), layers_arch="mobilenet-v2")
    return lambda: measure_report(plan, runner=runner, clock=runner.clock)


def _links(index: Path) -> list[str]:
    return [link for link in re.findall(r"\]\(([^)]+)\)", index.read_text(encoding="utf-8"))
            if "://" not in link]


def _leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def test_measured_part_foreign_folders_and_links(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run with (simulated) timings writes measured/ with its own index; foreign folders are kept and linked;
    every link of both indexes points to a file that exists; a later --no-timings run keeps measured/, and two
    --no-timings runs write the same bytes (pictures aside: their pixels are the renderer's)."""
    from archcost.report import write_report

    out = tmp_path / "reports"
    (out / "benchmarks").mkdir(parents=True)
    (out / "benchmarks" / "analysis-speed.md").write_text("speed\n")
    (out / "catalog.md").write_text("catalog\n")
    write_report(out, timings=True, measure=_simulated_measure(), force=True)  # force: the folder is not empty
    measured_index = out / "measured" / "README.md"
    index = (out / "README.md").read_text(encoding="utf-8")
    assert "](measured/README.md)" in index and "](benchmarks/analysis-speed.md)" in index
    assert "bench-vs-timer" not in index and "gpu/" not in index  # not present, so not linked
    for page in (out / "README.md", measured_index):
        for link in _links(page):
            assert (page.parent / link).is_file(), f"{page} links {link}, which does not exist"
    measured_text = measured_index.read_text(encoding="utf-8")
    assert "Simulated CPU, 2 threads, float32, torch 9.9.9" in measured_text
    assert "![macs-latency](charts/macs-latency.png)" in measured_text
    assert (out / "benchmarks" / "analysis-speed.md").read_text() == "speed\n"
    assert (out / "catalog.md").read_text() == "catalog\n"
    first = _files(out)

    assert run(["report", "--out", str(out), "--no-timings"]) == 0
    assert measured_index.read_text(encoding="utf-8") == measured_text  # kept, not re-measured
    second = _files(out)
    assert run(["report", "--out", str(out), "--no-timings"]) == 0
    third = _files(out)
    capsys.readouterr()
    texts = sorted(n for n in second if not n.endswith(IMAGES))
    assert sorted(first) == sorted(second) == sorted(third)
    assert [n for n in texts if not (first[n] == second[n] == third[n])] == []
    assert _leftovers(tmp_path, "reports") == []


def test_index_links_only_what_exists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from archcost.report import write_report

    out = tmp_path / "fresh"
    write_report(out, timings=False)
    index = out / "README.md"
    assert "measured/" not in index.read_text() and "benchmarks/" not in index.read_text()
    assert "timings/" not in index.read_text()
    for link in _links(index):
        assert (out / link).is_file(), link


@pytest.mark.parametrize("interruption", ["ctrl-c", "disk full"])
def test_report_is_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  interruption: str) -> None:
    """A write failing midway (Ctrl-C, a full disk) leaves the old folder as it was and no staging folder."""
    import archcost.report as report
    from archcost.errors import OutputError

    out = tmp_path / "reports"
    (out / "reproduce").mkdir(parents=True)
    (out / "README.md").write_text("old index\n")
    (out / "reproduce" / "old.md").write_text("old\n")
    (out / "gpu").mkdir()
    (out / "gpu" / "README.md").write_text("gpu\n")
    (out / MARKER).write_text("README.md\nreproduce/old.md\n")  # the folder holds an earlier report
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real_write, calls = report._write, []

    def failing_write(path: Path, text: str) -> Path:
        calls.append(path)
        if len(calls) == 6:
            raise KeyboardInterrupt() if interruption == "ctrl-c" else OutputError(f"cannot write {path}: full")
        return real_write(path, text)

    monkeypatch.setattr(report, "_write", failing_write)
    with pytest.raises(KeyboardInterrupt if interruption == "ctrl-c" else OutputError):
        report.write_report(out, timings=False)
    assert len(calls) == 6
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert _leftovers(tmp_path, "reports") == []


@pytest.mark.parametrize("argv, code, message", [
    (["--no-timings", "--full-timings"], 2, "--full-timings and --no-timings contradict each other"),
    (["--device", "tpu"], 2, "unknown --device 'tpu'"),
])
def test_report_options_fail_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                         code: int, message: str) -> None:
    assert run(["report", "--out", str(tmp_path / "r"), *argv]) == code
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()  # nothing written


def test_report_on_cuda_without_one_fails_before_writing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert run(["report", "--out", str(tmp_path / "r"), "--device", "cuda"]) == 1
    assert "CUDA is not available" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
