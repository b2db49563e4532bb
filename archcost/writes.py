"""Every file archcost writes goes through here, and behaves like the shell's ``>``.

- A regular file is replaced atomically (a temporary file in the same folder, then ``os.replace``): a reader never
  sees half a file, and an error leaves the old one. The new file keeps the old one's mode and, where the process
  may set it, its owner.
- A file the user may not write is refused, as ``>`` would refuse it. Root may write anything, so for root the mode
  bits decide: a file with no write bit at all is refused.
- A symlink is followed: its target is written and the link stays a link.
- ``-``, ``/dev/stdout``, ``/dev/fd/N``, a character device, a FIFO or a socket is written through (opened for
  writing), never replaced: replacing ``/dev/null`` by a regular file would break the whole machine.
- A new file gets 0o666 less the umask, as one made the ordinary way.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from contextlib import suppress
from pathlib import Path

from archcost.errors import OutputError

STDOUT = "-"  # the conventional name of standard output
# Names that stand for an open descriptor: resolving them gives "pipe:[123]" or a file the shell already opened.
_DESCRIPTOR_PREFIXES = ("/dev/fd/", "/proc/self/fd/", "/dev/stdout", "/dev/stderr")


def check_writable(path: Path) -> None:
    """Fail before any work is done when ``path`` cannot be written (a folder, no folder, no permission)."""
    if _written_through(path):
        return
    target = _resolved(path)
    if target.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder")
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: folder {folder} does not exist")
    if target.exists() and not _may_write(target):
        raise OutputError(f"cannot write {path}: permission denied (the file is read-only)")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"cannot write {path}: folder {folder} is not writable")


def write_file(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` as described in the module's docstring."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if str(path) == STDOUT:
        _write_stdout(payload)
        return
    check_writable(path)
    try:
        if _written_through(path):
            with open(path, "wb") as handle:
                handle.write(payload)
        else:
            _replace(_resolved(path), payload)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None


def _written_through(path: Path) -> bool:
    """True for standard output and for a path that is not a regular file to replace (device, FIFO, socket)."""
    name = str(path)
    if name == STDOUT or name.startswith(_DESCRIPTOR_PREFIXES):
        return True
    try:
        mode = os.stat(path).st_mode  # follows a symlink: what matters is what it points to
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISBLK(mode)


def _resolved(path: Path) -> Path:
    """The file a (chain of) symlink(s) points to, so that the link itself is left as it is."""
    return Path(os.path.realpath(path))


def _may_write(path: Path) -> bool:
    if os.geteuid() == 0:  # root passes every permission check: refuse only what no one was meant to write
        return bool(os.stat(path).st_mode & 0o222)
    return os.access(path, os.W_OK, effective_ids=os.access in os.supports_effective_ids)


def umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _replace(target: Path, payload: bytes) -> None:
    try:
        old: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        old = None
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            _take_over(handle.fileno(), old)
        os.replace(temporary, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _take_over(fd: int, old: os.stat_result | None) -> None:
    """Give the temporary file (mkstemp makes it 0600) the mode and owner the replaced file had, or a new file's."""
    if old is None:
        os.fchmod(fd, 0o666 & ~umask())
        return
    if (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
        with suppress(PermissionError):  # only root (or the owner, for the group) may: keep what the system allows
            os.fchown(fd, old.st_uid, old.st_gid)
    os.fchmod(fd, stat.S_IMODE(old.st_mode))  # after chown, which clears set-id bits


def _write_stdout(payload: bytes) -> None:
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        buffer.write(payload)
        buffer.flush()
    else:  # a text-only stream (a test's capture): it takes str
        sys.stdout.write(payload.decode("utf-8"))
        sys.stdout.flush()
