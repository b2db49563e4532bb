"""Reading Linux's ``/proc`` files: the one ``key: value`` line reader behind the CPU name, the resident set size
and the benchmark scripts' machine notes. Torch-free; a missing file (not Linux) or key reads as None, not a guess."""

from __future__ import annotations

from pathlib import Path


def proc_field(path: str, key: str) -> str | None:
    """The value of the first ``key: value`` line of ``path`` (stripped), or None when the file or the key is
    missing."""
    try:
        for line in Path(path).read_text().splitlines():
            name, colon, value = line.partition(":")
            if colon and name.strip() == key:
                return value.strip()
    except OSError:
        pass
    return None


def proc_kib_bytes(path: str, key: str) -> int | None:
    """A ``/proc`` figure the kernel reports in kB (``VmRSS:  1234 kB``), in bytes; None when missing or unreadable."""
    value = proc_field(path, key)
    try:
        return int(value.split()[0]) * 1024 if value else None
    except (ValueError, IndexError):
        return None
