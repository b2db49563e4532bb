"""``archcost report --out FOLDER`` never deletes what it did not write (issue 21, item 2).

The report's content is tested in test_report.py; here the tables are replaced by a small stand-in (a few files
written the way the report writes them) so that each case runs in well under a second, through the real CLI."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

import archcost.report as report
from archcost.cli import run
from archcost.report_folder import MARKER


@pytest.fixture
def small_report(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Replace the report's content by a few files; the returned dict is what the next run writes (edit it)."""
    content = {"README.md": "index\n", "compare/a.md": "a\n", "compare/b.md": "b\n"}

    def write_into(folder: Path, measure: Any, *, existing: Path) -> list[Path]:
        return [report._write(folder / name, text) for name, text in content.items()]

    monkeypatch.setattr(report, "_write_into", write_into)
    return content


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _report(folder: Path, *extra: str) -> int:
    return run(["report", "--out", str(folder), "--no-timings", *extra])


def test_a_foreign_folder_is_refused_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               small_report: dict[str, str]) -> None:
    folder = tmp_path / "mine"
    (folder / "compare").mkdir(parents=True)
    (folder / "README.md").write_text("my notes\n")
    (folder / "compare" / "x.md").write_text("x\n")
    before = _tree(folder)
    assert _report(folder) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--force" in err and "holds no earlier archcost report" in err
    assert _tree(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no staging folder either


def test_force_keeps_the_users_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     small_report: dict[str, str]) -> None:
    folder = tmp_path / "mine"
    (folder / "compare").mkdir(parents=True)
    (folder / "notes.txt").write_text("notes\n")
    (folder / "compare" / "x.md").write_text("x\n")
    assert _report(folder, "--force") == 0
    tree = _tree(folder)
    assert tree["notes.txt"] == b"notes\n" and tree["compare/x.md"] == b"x\n"
    assert tree["compare/a.md"] == b"a\n" and tree["README.md"] == b"index\n"
    assert tree[MARKER].decode().splitlines()[1:] == ["README.md", "compare/a.md", "compare/b.md"]
    capsys.readouterr()


def test_a_second_report_keeps_the_users_files_mode_and_symlink(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                small_report: dict[str, str]) -> None:
    """The second run updates archcost's files, removes the one it no longer writes, keeps the user's README in a
    sub-folder, the folder's mode 0700 and the symlink to it, and removes a staging folder an earlier run left."""
    real = tmp_path / "real"
    link = tmp_path / "reports"
    link.symlink_to(real, target_is_directory=True)
    assert _report(link) == 0
    os.chmod(real, 0o700)
    (real / "compare" / "README.md").write_text("the user's\n")
    (real / "compare" / "a.md").chmod(0o600)
    leftover = tmp_path / ".real.archcost-staging.abc123"  # what a killed run leaves
    (leftover / "compare").mkdir(parents=True)
    (tmp_path / ".real.k2j_9xq0.tmp" / "charts").mkdir(parents=True)  # and one an archcost before the marker left
    small_report.pop("compare/b.md")
    small_report["compare/a.md"] = "a, second\n"
    assert _report(link) == 0
    capsys.readouterr()
    assert link.is_symlink() and stat.S_IMODE(real.stat().st_mode) == 0o700
    tree = _tree(real)
    assert sorted(tree) == [MARKER, "README.md", "compare/README.md", "compare/a.md"]
    assert tree["compare/README.md"] == b"the user's\n" and tree["compare/a.md"] == b"a, second\n"
    assert stat.S_IMODE((real / "compare" / "a.md").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real", "reports"]


def test_a_failed_build_leaves_nothing_beside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(folder: Path, measure: Any, *, existing: Path) -> list[Path]:
        report._write(folder / "README.md", "half\n")
        raise KeyboardInterrupt()

    monkeypatch.setattr(report, "_write_into", broken)
    with pytest.raises(KeyboardInterrupt):
        report.write_report(tmp_path / "new")
    assert list(tmp_path.iterdir()) == []
