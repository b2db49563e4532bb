"""One cache of analyses, keyed by the content of everything that defines the result. Torch-free.

An analysis of a registry network on meta is a pure function of the request and of the code that computes it. The
key, :func:`request_key`, is a hash of both:

- the request: network (its registry name), inputs, batch, builder arguments (``--set``), convention, dtype, and
  whatever else the caller passes; every value must be a literal (numbers, strings, None, tuples, lists, str-keyed
  dicts), or there is no key and nothing is cached: an object's repr does not say what it does;
- archcost's version and the text of every file of its package (hashed once per process: about 1 MB, a few ms),
  never sizes or modification times, which a same-size edit in the same second leaves equal;
- torch's version (read from its ``version.py`` without importing it) and Python's.

It keys the **disk** store, which keeps ``Analysis.to_dict()`` documents for ``archcost table``, so a fresh process
answers without importing torch. It lives in its own folder, ``<cache dir>/results`` (``$ARCHCOST_CACHE_DIR``, else
``$XDG_CACHE_HOME/archcost`` or ``~/.cache/archcost``), and reads, prunes and clears only files named by its own
pattern: anything else in that folder is left alone. Every entry is sealed (:func:`store`): it holds its content's
exact text, the key of the request it answers, the entry schema and a sha256 digest of the three; one that does not
check out on read is a miss and is removed (:func:`load`), and so is one its reader finds wrong (:func:`drop`).
Writes are atomic and honour the umask, and a folder that cannot be written is skipped silently.
``ARCHCOST_NO_CACHE=1`` (or ``archcost table --no-cache``) turns the disk store off; ``archcost cache info|clear``
shows and empties it. Beside the analyses, in ``<cache dir>/optimizer-steps``, the disk store keeps the optimizer
steps train-mode analyses traced (:data:`STEPS`, same key rules: the step's key and the code fingerprint): a fresh
process that finds a network's steps there builds no ``torch.optim`` optimizer, whose first construction imports
torch._dynamo (2.7 s on the 2-core machine). That is the one disk write a library call (``archcost.analyze(...,
mode="train")``) makes.

**One key design.** Every key is built here, by :func:`analysis_key` from one request: the network's registry name,
its inputs (with dtypes and names), batch, device, convention, dtype, builder arguments, mode, torch's
default dtype and the code fingerprint. Its caller (``archcost table``) passes what it has and never hashes anything
itself. Analyses are not kept in the process: each call traces. What a process does keep: the optimizer steps a
train-mode analysis traced (``training/step.py``; :data:`OPTIMIZER_STEPS`, :func:`optimizer_step_key`);
:func:`forget` empties them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import secrets
import sys
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from archcost import __version__

KEEP_FILES = 256  # the newest documents kept on disk; a ResNet-1202 table is about 4 MB
KEEP_STEPS = 4096  # optimizer steps kept on disk; one is a few kB, and ResNet-50 has 34 distinct
_PACKAGE = Path(__file__).resolve().parent
_LITERALS = (str, int, float, bool, type(None))


class NotLiteral(Exception):
    """A request value whose content a key cannot capture."""


def frozen(value: Any) -> Any:
    """A hashable, repr-stable form of a literal value; raises :class:`NotLiteral` for anything else. Its repr tells
    1, 1.0 and True apart, and a tuple from a list."""
    if type(value) in _LITERALS:
        return value
    if type(value) in (tuple, list):
        return (type(value).__name__, tuple(frozen(v) for v in value))
    if type(value) is dict and all(type(k) is str for k in value):
        return ("dict", tuple(sorted((k, frozen(v)) for k, v in value.items())))
    raise NotLiteral(type(value).__name__)


def is_literal(value: Any) -> bool:
    try:
        frozen(value)
    except NotLiteral:
        return False
    return True


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The text of archcost's package and the versions the figures depend on besides the request."""
    digest = hashlib.sha256(f"{__version__}\n{_torch_version()}\n{sys.version}\n".encode())
    for root, folders, files in os.walk(_PACKAGE):
        folders[:] = sorted(f for f in folders if f != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(root, name)
            try:
                data = Path(path).read_bytes()
            except OSError:
                data = b"\0unreadable"
            # Path and length before the bytes: no two packages hash the same concatenation.
            digest.update(f"{os.path.relpath(path, _PACKAGE)}\0{len(data)}\0".encode())
            digest.update(data)
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


def _key(store: str, request: dict[str, Any]) -> str | None:
    """The one hash: the store's name, the request and the code fingerprint; None for a non-literal."""
    try:
        text = repr((store, frozen(request), code_fingerprint()))
    except NotLiteral:
        return None
    return hashlib.sha256(text.encode()).hexdigest()


def request_key(**request: Any) -> str | None:
    """The disk key of a request (see the module docstring), or None when one of its values is not a literal."""
    return _key("disk", request)


def analysis_key(*, network: str, inputs: Any, batch: int | None, device: str, convention: str,
                 dtype: str, config: dict[str, Any], mode: str = "inference",
                 default_dtype: str = "torch.float32") -> str | None:
    """The disk key of an analysis request. ``inputs``: a literal description of the inputs (see
    :func:`input_identity`); ``default_dtype``: torch's, the one torch state a registry build reads (a fresh
    process, as ``archcost table`` is, has float32)."""
    return _key("disk", {"network": network, "inputs": inputs, "batch": batch, "device": device,
                        "convention": convention, "dtype": dtype, "config": config,
                        "mode": mode, "default_dtype": default_dtype})


def input_identity(inputs: list[Any], batch: int | None) -> Any:
    """The inputs of a request as a literal: None for the native input, one plain shape as a list (3x224x224 and
    1x3x224x224 are one request), else each input's shape, dtype and name. ``inputs``: shape strings or the
    ``shapes.InputSpec``s a request parsed them into (archcost/request.py)."""
    from archcost.shapes import parse_input

    specs = [parse_input(i) if isinstance(i, str) else i for i in inputs]
    if len(specs) == 1 and specs[0].dtype is None and specs[0].name is None:
        return list(specs[0].shape(batch))
    if specs:
        return [{"shape": list(s.shape(batch)), "dtype": s.dtype, "name": s.name} for s in specs]
    return None


# -- process stores --------------------------------------------------------------------------------------------------
class Recent(OrderedDict):  # type: ignore[type-arg]
    """A process store of at most ``size`` entries, the least recently used dropped first (newest last)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def recall(self, key: Any) -> Any:
        found = self.get(key)
        if found is not None:
            self.move_to_end(key)
        return found

    def keep(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


# -- optimizer steps -------------------------------------------------------------------------------------------------
OPTIMIZER_STEPS_SIZE = 1024
OPTIMIZER_STEPS = Recent(OPTIMIZER_STEPS_SIZE)  # optimizer_step_key -> one traced step (training/step.py)


def optimizer_step_key(optimizer: str, tensors: Any, default_dtype: Any, torch_version: str) -> Any:
    """A traced optimizer step's key: the optimizer (a closed set with fixed settings), the metadata of every
    parameter and gradient it updates (shape, stride, dtype), torch's default dtype (its step counters') and torch's
    version (its update code). On meta nothing else reaches the step: there are no values to branch on."""
    return (optimizer, tensors, default_dtype, torch_version)


def optimizer_step(key: Any, decode: Any) -> Any:
    """The step kept under ``key`` in this process, else the one on disk (cache.STEPS, keyed with the code
    fingerprint as analyses are) turned back into a step by ``decode``; None when neither has it or the document
    does not decode. A fresh process that finds its steps here builds no ``torch.optim`` optimizer, which would
    import torch._dynamo (seconds)."""
    found = OPTIMIZER_STEPS.recall(key)
    if found is not None:
        return found
    name = _key("disk", {"optimizer_step": key})
    document = load(name, STEPS) if name is not None else None
    if document is None or name is None:
        return None
    try:
        found = decode(document)
    except (KeyError, TypeError, ValueError, AttributeError):
        drop(name, STEPS)  # a document of another shape is a miss: the step is traced and the file replaced
        return None
    OPTIMIZER_STEPS.keep(key, found)
    return found


def keep_optimizer_step(key: Any, step: Any, encode: Any) -> None:
    OPTIMIZER_STEPS.keep(key, step)
    name = _key("disk", {"optimizer_step": key})
    if name is not None:
        store(name, encode(step), STEPS)


def forget() -> None:
    """Empty the process store of optimizer steps; the disk store has :func:`clear`."""
    OPTIMIZER_STEPS.clear()


# -- disk ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DiskFolder:
    """One folder of the disk store under the base directory: JSON documents named ``<64 hex><.kind.json>``, and
    writes in progress named ``.<16 hex>.<kind>.part``. Only names of this pattern are read, pruned or removed."""

    name: str
    kind: str

    @property
    def suffix(self) -> str:
        return f".{self.kind}.json"

    def path(self) -> Path:
        return base_directory() / self.name

    def owns(self, filename: str, *, entries_only: bool = False) -> bool:
        if re.fullmatch(rf"[0-9a-f]{{64}}\.{self.kind}\.json", filename):
            return True
        return not entries_only and re.fullmatch(rf"\.[0-9a-f]{{16}}\.{self.kind}\.part", filename) is not None


RESULTS = DiskFolder("results", "analysis")  # archcost table's analyses
STEPS = DiskFolder("optimizer-steps", "step")  # traced optimizer steps (training/step.py)
SUFFIX = RESULTS.suffix


def base_directory() -> Path:
    configured = os.environ.get("ARCHCOST_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "archcost"


def directory() -> Path:
    """The disk store's own folder for analyses (which may not exist yet)."""
    return RESULTS.path()


_DISK_OFF: ContextVar[bool] = ContextVar("archcost_disk_off", default=False)


def enabled() -> bool:
    return not _DISK_OFF.get() and os.environ.get("ARCHCOST_NO_CACHE", "") in ("", "0")


@contextmanager
def disk_off() -> Iterator[None]:
    """The disk store off for what runs inside (``archcost table --no-cache``), whatever the environment says."""
    token = _DISK_OFF.set(True)
    try:
        yield
    finally:
        _DISK_OFF.reset(token)


ENTRY_SCHEMA = "archcost.cache-entry/1"


def _digest(key: str, content: str) -> str:
    """What seals an entry: the entry schema, the key of the request it answers and the exact text of its content."""
    return hashlib.sha256(f"{ENTRY_SCHEMA}\0{key}\0{content}".encode()).hexdigest()


def _entry_path(key: str, folder: DiskFolder) -> Path:
    return folder.path() / f"{key}{folder.suffix}"


def _unsealed(key: str, text: str) -> dict[str, Any] | None:
    """The document an entry holds, or None unless its schema, request key and digest all match. The content is
    kept as a JSON string inside the entry, so the digest covers its exact bytes (no second serialisation)."""
    try:
        entry = json.loads(text)
        if not (isinstance(entry, dict) and entry.get("schema") == ENTRY_SCHEMA and entry.get("key") == key):
            return None
        content = entry.get("content")
        if not isinstance(content, str) or entry.get("digest") != _digest(key, content):
            return None
        document = json.loads(content)
    except (ValueError, TypeError):
        return None
    return document if isinstance(document, dict) else None


def load(key: str, folder: DiskFolder = RESULTS) -> dict[str, Any] | None:
    """The document stored under ``key``, or None. An entry that does not check out (damaged, edited, another
    request's, another schema's) is removed: it would be a miss every time until replaced."""
    if not enabled():
        return None
    try:
        text = _entry_path(key, folder).read_text()
    except (OSError, ValueError):
        return None
    document = _unsealed(key, text)
    if document is None:
        drop(key, folder)
    return document


def drop(key: str, folder: DiskFolder = RESULTS) -> None:
    """Remove the entry under ``key``: its reader found it wrong (it does not check out, or it does not render)."""
    try:
        _entry_path(key, folder).unlink(missing_ok=True)
    except OSError:
        return  # a folder that cannot be written keeps it; every read stays a miss, never a wrong figure


def store(key: str, document: dict[str, Any], folder: DiskFolder = RESULTS) -> None:
    if not enabled():
        return
    path = folder.path()
    content = json.dumps(document)
    entry = {"schema": ENTRY_SCHEMA, "key": key, "digest": _digest(key, content), "content": content}
    try:
        path.mkdir(parents=True, exist_ok=True)
        temporary = path / f".{secrets.token_hex(8)}.{folder.kind}.part"
        # os.open with 0o666 lets the umask decide who may read it (mkstemp would force 0600).
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(handle, "w") as stream:
                json.dump(entry, stream)
            os.replace(temporary, _entry_path(key, folder))
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _prune(folder)
    except OSError:
        return  # a read-only or full disk costs the next run its time, never this run its answer


def _own_files(folder: DiskFolder) -> list[Path]:
    path = folder.path()
    try:
        names = os.listdir(path)
    except OSError:
        return []
    return [path / n for n in names if folder.owns(n)]


def _prune(folder: DiskFolder) -> None:
    keep = KEEP_FILES if folder is RESULTS else KEEP_STEPS
    entries = []
    for path in _own_files(folder):
        if folder.owns(path.name, entries_only=True):
            try:
                entries.append((path.stat().st_mtime_ns, path))
            except OSError:
                continue  # removed meanwhile by another process
    entries.sort()
    for _, stale in entries[:-keep]:
        stale.unlink(missing_ok=True)


def _sizes(folder: DiskFolder) -> list[int]:
    sizes = []
    for path in _own_files(folder):
        if folder.owns(path.name, entries_only=True):
            try:
                sizes.append(path.stat().st_size)
            except OSError:
                continue
    return sizes


def info() -> dict[str, Any]:
    """The disk store's folder, whether it is on, and the number and bytes of its entries (analyses), and of the
    optimizer steps it keeps beside them."""
    results, steps = _sizes(RESULTS), _sizes(STEPS)
    return {"folder": str(directory()), "enabled": enabled(), "entries": len(results), "bytes": sum(results),
            "optimizer_steps": len(steps), "optimizer_step_bytes": sum(steps)}


def clear() -> dict[str, Any]:
    """Remove the disk store's own files (entries, kept optimizer steps and interrupted writes), nothing else.
    Returns what went: ``removed`` counts analyses, ``bytes`` everything freed, ``not_removed`` the files that
    could not be removed and ``error`` why the first of them could not (None when all went)."""
    removed, steps, freed, failed, error = 0, 0, 0, 0, None
    for folder in (RESULTS, STEPS):
        for path in _own_files(folder):
            try:
                size = path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                continue  # removed meanwhile by another process: gone all the same
            except OSError as problem:
                failed += 1
                error = error or f"cannot remove {path}: {problem.strerror or problem}"
                continue
            entry = folder.owns(path.name, entries_only=True)
            removed += entry and folder is RESULTS
            steps += entry and folder is STEPS
            freed += size
    return {"folder": str(directory()), "removed": removed, "optimizer_steps_removed": steps, "bytes": freed,
            "not_removed": failed, "error": error}
