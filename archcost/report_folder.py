"""The folder ``archcost report`` writes into: it never deletes what archcost did not write.

The report is built in a staging folder beside the target (named ``.<name>.archcost-staging.<random>``, so a later
run recognises and removes one an interrupted run left), then copied into the target file by file through
:mod:`archcost.writes`: an existing file keeps its mode and owner, the folder itself is never replaced (its mode, owner
and symlink stay), and every file archcost did not write stays where it is. A marker file (:data:`MARKER`) lists what
archcost wrote, so a later run knows which files are its own: only those are updated or, once stale, removed. A
folder without the marker that is not empty belongs to someone else and is refused unless ``force`` is given.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from archcost.errors import Option, OutputError, UsageError
from archcost.writes import umask, write_file

MARKER = ".archcost-report"
_MARKER_HEADER = ("# Written by `archcost report`: the files it wrote here, one a line. Later runs update or remove "
                  "only these; every other file in this folder is left as it is.")
_STAGING = "archcost-staging"


def check_folder(folder: Path, *, force: bool) -> None:
    """Refuse, before any work, a folder that is not empty and holds no earlier report (unless ``force``)."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise OutputError(f"cannot write the report to {folder}: it is a file")
    if force or (folder / MARKER).is_file() or not any(folder.iterdir()):
        return
    raise UsageError(f"{folder} is not empty and holds no earlier archcost report (no {MARKER}): choose a new or "
                     "empty folder, or pass $force to add the report beside the files already there", Option("force"))


def staging_beside(folder: Path) -> Path:
    """A new staging folder beside the (symlink-resolved) target, after removing any an earlier run left."""
    real = Path(os.path.realpath(folder))
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        for leftover in _leftovers(real):
            shutil.rmtree(leftover)
        staging = Path(tempfile.mkdtemp(dir=real.parent, prefix=f".{real.name}.{_STAGING}."))
    except OSError as error:
        raise OutputError(f"cannot write the report beside {folder}: {error.strerror or error}") from None
    os.chmod(staging, 0o777 & ~umask())  # mkdtemp makes it 0700; a folder made the ordinary way follows the umask
    return staging


def _leftovers(real: Path) -> list[Path]:
    """Staging folders earlier runs left beside ``real``: this module's, and the ``.<name>.<8 random>.tmp`` / ``.old``
    folders that archcost versions before the marker made with mkdtemp (nothing else has these names)."""
    older = re.compile(rf"\.{re.escape(real.name)}\.[a-z0-9_]{{8}}\.(tmp|old)")
    return [p for p in real.parent.iterdir() if p.is_dir() and not p.is_symlink()
            and (p.name.startswith(f".{real.name}.{_STAGING}.") or older.fullmatch(p.name))]


def install(staging: Path, folder: Path, written: list[Path], *, scope: tuple[str, ...]) -> None:
    """Copy ``written`` (files under ``staging``) into ``folder``; remove the files an earlier report listed under
    ``scope`` (the top-level names this run writes) that this run did not write; keep every other file."""
    real = Path(os.path.realpath(folder))
    new = [p.relative_to(staging).as_posix() for p in written]
    try:
        real.mkdir(parents=True, exist_ok=True)
        old = _listed(real)
        # Listed before copying: an interrupted copy leaves a folder the next run still knows as a report.
        write_file(real / MARKER, _marker_text([*old, *new]))
        for name in new:
            (real / name).parent.mkdir(parents=True, exist_ok=True)
            write_file(real / name, (staging / name).read_bytes())
        stale = [name for name in old if name not in new and name.split("/")[0] in scope]
        for name in stale:
            _remove(real, name)
        write_file(real / MARKER, _marker_text([*new, *(n for n in old if n not in stale and (real / n).exists())]))
    except OSError as error:
        raise OutputError(f"cannot write the report into {folder}: {error.strerror or error}") from None


def _listed(folder: Path) -> list[str]:
    """The files an earlier report wrote (its marker's lines), or none."""
    try:
        text = (folder / MARKER).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    names = (line.strip() for line in text.splitlines())
    return [n for n in names if n and not n.startswith("#") and ".." not in n.split("/") and not n.startswith("/")]


def _marker_text(names: list[str]) -> str:
    return "\n".join([_MARKER_HEADER, *sorted(set(names))]) + "\n"


def _remove(folder: Path, name: str) -> None:
    """Remove an earlier report's file, then the folders it leaves empty (never ``folder`` itself)."""
    path = folder / name
    if path.is_file() or path.is_symlink():
        path.unlink()
    parent = path.parent
    while parent != folder and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent
