"""A disk cache of registry analyses: a fresh ``archcost table`` process answers from it without importing torch.

``import torch`` alone takes one to three seconds; the analysis itself a tenth of that. A registry network's analysis
on meta is a pure function of the request (network, input, batch, convention, dtype) and of the code that computes
it, so the document ``Analysis.to_dict()`` wrote is stored under a key made of both:

- the request, with the input shape parsed (``224`` and ``3x224x224`` are one request);
- archcost's version and every one of its modules' size and modification time (an edit is a new key);
- torch's version, read from its ``version.py`` without importing it, and Python's.

The figures are the analysis' own, computed on this machine by this code; nothing is shipped precomputed. A file
that cannot be read or parsed is a miss, writes are atomic, and a cache that cannot be written is skipped silently.
``ARCHCOST_CACHE_DIR`` moves it (default ``$XDG_CACHE_HOME/archcost`` or ``~/.cache/archcost``); ``ARCHCOST_NO_CACHE=1``
or ``archcost table --no-cache`` turns it off.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from archcost import __version__

KEEP_FILES = 256  # the newest documents kept; a ResNet-1202 table is about 4 MB
_PACKAGE = Path(__file__).resolve().parent


def directory() -> Path | None:
    """Where documents live, or None when the cache is turned off."""
    if os.environ.get("ARCHCOST_NO_CACHE", "") not in ("", "0"):
        return None
    configured = os.environ.get("ARCHCOST_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "archcost"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """archcost's version and modules, torch's and Python's versions: what the figures depend on besides the request."""
    digest = hashlib.sha256(f"{__version__}\n{_torch_version()}\n{sys.version}\n".encode())
    for root, folders, files in os.walk(_PACKAGE):
        folders.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                stat = os.stat(path)
                digest.update(f"{os.path.relpath(path, _PACKAGE)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _torch_version() -> str:
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        return "absent"
    try:
        text = Path(spec.origin).with_name("version.py").read_text()
    except OSError:
        return f"unknown at {spec.origin}"
    match = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", text, re.MULTILINE)
    return match.group(1) if match else f"unknown at {spec.origin}"


def request_key(**request: Any) -> str:
    text = json.dumps({"request": request, "code": code_fingerprint()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def load(key: str) -> dict[str, Any] | None:
    folder = directory()
    if folder is None:
        return None
    try:
        document = json.loads((folder / f"{key}.json").read_text())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def store(key: str, document: dict[str, Any]) -> None:
    folder = directory()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "w") as stream:
                json.dump(document, stream)
            os.replace(temporary, folder / f"{key}.json")
        except BaseException:
            os.unlink(temporary)
            raise
        _prune(folder)
    except OSError:
        return  # a read-only or full disk costs the next run its time, never this run its answer


def _prune(folder: Path) -> None:
    documents = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    for stale in documents[:-KEEP_FILES]:
        stale.unlink(missing_ok=True)
