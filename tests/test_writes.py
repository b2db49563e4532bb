"""archcost.writes: every ``--out`` behaves like the shell's ``>`` (issue 21, item 1), through the CLI where the user
meets it. Only paths under tmp_path are written; the FIFO has a reader thread, standard output is pytest's capture."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from archcost.cli import run
from archcost.errors import OutputError
from archcost.writes import write_file

LIST = ["list", "--format", "csv"]  # a quick command with a deterministic output


def _listing(capsys: pytest.CaptureFixture[str]) -> str:
    assert run(LIST) == 0
    return capsys.readouterr().out


def test_a_regular_file_keeps_its_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    assert run([*LIST, "--out", str(target)]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text() == _listing(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary file left


def test_a_read_only_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.csv"
    target.write_text("mine\n")
    target.chmod(0o444)
    assert run([*LIST, "--out", str(target)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "permission denied" in err
    assert target.read_text() == "mine\n" and stat.S_IMODE(target.stat().st_mode) == 0o444


def test_a_symlink_is_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "out.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert run([*LIST, "--out", str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == _listing(capsys)


def test_a_fifo_is_written_through(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        code = run([*LIST, "--out", str(fifo)])
    finally:
        if reader.is_alive() and not received:  # the write failed before opening: unblock the reader
            with open(fifo, "wb"):
                pass
        reader.join(timeout=30)
    assert code == 0
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still a FIFO, not replaced by a regular file
    assert received == [_listing(capsys).encode()]


def test_dash_writes_standard_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # nothing may appear in the current folder
    assert run([*LIST, "--out", "-"]) == 0
    assert capsys.readouterr().out == _listing(capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600)])
def test_a_new_file_honours_the_umask(tmp_path: Path, mask: int, mode: int) -> None:
    previous = os.umask(mask)
    try:
        write_file(tmp_path / "new.txt", "x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == mode


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_folder_is_refused_and_left_empty(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="not writable"):
            write_file(folder / "out.txt", "x")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_a_failed_replace_leaves_the_old_file_and_no_temporary(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old\n")

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OutputError, match="No space left on device"):
        write_file(target, "new\n")
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_dev_stdout_is_written_through(capfd: pytest.CaptureFixture[str]) -> None:
    """``--out /dev/stdout`` reaches the process's standard output (pytest's capture file here), link and all."""
    assert run([*LIST, "--out", "/dev/stdout"]) == 0
    written = capfd.readouterr().out
    assert run(LIST) == 0
    assert written == capfd.readouterr().out and os.path.islink("/dev/stdout")


def test_devices_and_descriptors_are_never_replaced() -> None:
    """What decides the write-through path, asked without writing: /dev/null must be opened, never renamed over."""
    from archcost.writes import _written_through

    for name in ("/dev/null", "/dev/stdout", "/dev/fd/1", "-"):
        assert _written_through(Path(name)), name
    assert not _written_through(Path(__file__))


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another user")
def test_the_owner_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "theirs.txt"
    target.write_text("old\n")
    os.chown(target, 1234, 4321)
    write_file(target, "new\n")
    assert (target.stat().st_uid, target.stat().st_gid) == (1234, 4321) and target.read_text() == "new\n"
