"""The user's own code: ``module:callable`` and ``path/to/file.py:callable`` as ARCH, and errors raised inside it.

A module name resolves from the current folder first, as ``python -m`` does (the ``archcost`` console script puts
its own bin folder on ``sys.path``, not the folder it is run from). A file is imported under a name of its own, so two
files called ``models.py`` never collide. Only the named module is taken from the folder first; the folder is added at
the end of ``sys.path`` for the module's own imports of its neighbours, so a ``rich.py`` or ``torch.py`` there never
shadows an installed package archcost imports.

An exception from the user's code is the user's error: :func:`located` names the innermost frame of their code
(not the standard library, not an installed package, not torch, not archcost) as ``file:line in function``.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import re
import site
import sys
import sysconfig
import traceback
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from archcost import errors
from archcost.errors import UsageError, UserCodeError


def is_file(module_part: str) -> bool:
    return module_part.endswith(".py") or "/" in module_part or os.sep in module_part


def load(spec: str) -> Any:
    """The callable that ``spec`` names (``module:callable``, ``file.py:callable``; ``callable`` may be dotted)."""
    module_part, _, attr = spec.rpartition(":")
    if not module_part or not attr:
        raise UsageError(f"malformed import path {spec!r}: expected module:callable or path/to/file.py:callable")
    module = _import_file(module_part, spec) if is_file(module_part) else _import_module(module_part, spec)
    target: Any = module
    for part in attr.split("."):
        found = getattr(target, part, None)
        if found is None:
            names = [n for n in dir(target) if not n.startswith("_") and callable(getattr(target, n, None))]
            close = difflib.get_close_matches(part, names, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UsageError(f"{module_part!r} has no attribute {part!r} (from {spec!r}){hint}")
        target = found
    if not callable(target):
        raise UsageError(f"{spec!r} is {type(target).__name__}, not a callable that returns an nn.Module")
    return target


def _import_module(name: str, spec: str) -> ModuleType:
    folder = os.getcwd()
    importlib.invalidate_caches()  # a file written after the finders listed the folder is found too
    try:
        if folder not in sys.path and "" not in sys.path:
            sys.path.append(folder)  # the module's own neighbours, after every installed package (never shadowing)
        _import_from_folder(name.partition(".")[0], folder)
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is not None and (name == error.name or name.startswith(error.name + ".")):
            raise UsageError(f"cannot import {name!r} (from {spec!r}): no module named {error.name!r} in {folder} "
                             "or on the Python path") from None
        raise _import_failed(error, spec) from None
    except Exception as error:
        raise _import_failed(error, spec) from None


def _import_from_folder(top: str, folder: str) -> None:
    """Import the top-level module ``top`` from ``folder`` alone, as ``python -m`` would find it first, without
    putting ``folder`` first on ``sys.path``: a ``rich.py`` or ``numpy.py`` beside the user's module must never
    replace archcost's own dependencies (it would be imported and run the next time archcost imports one)."""
    if top in sys.modules:
        return
    found = importlib.machinery.PathFinder.find_spec(top, [folder])
    if found is None or found.loader is None:
        return  # not in the folder: an installed module, found on sys.path as usual
    module = importlib.util.module_from_spec(found)
    sys.modules[top] = module  # before running it, as import does
    try:
        found.loader.exec_module(module)
    except BaseException:
        del sys.modules[top]
        raise


def _import_file(text: str, spec: str) -> ModuleType:
    path = Path(text).expanduser()
    path = (path if path.is_absolute() else Path.cwd() / path).resolve()
    if path.suffix != ".py":
        raise UsageError(f"{text!r} (from {spec!r}) is neither a module name nor a .py file")
    if not path.is_file():
        raise UsageError(f"no file {text!r} (from {spec!r}; looked at {path})")
    stem = re.sub(r"\W", "_", path.stem)
    name = f"_archcost_user_{stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:10]}"
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, path)
    assert module_spec is not None and module_spec.loader is not None  # a .py file always has a source loader
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # before running it, as import does (dataclasses and pickling look it up)
    # While the file runs, its folder comes first (its imports of its neighbours, as `python file.py` sees them);
    # afterwards it goes to the end, so what archcost imports later is never a file of that folder.
    folder = str(path.parent)
    sys.path.insert(0, folder)
    try:
        module_spec.loader.exec_module(module)
    except BaseException as error:
        del sys.modules[name]
        if not isinstance(error, Exception):
            raise
        raise _import_failed(error, spec) from None
    finally:
        sys.path.remove(folder)  # the first occurrence: the one inserted above
        if folder not in sys.path:
            sys.path.append(folder)  # later lazy imports of its neighbours, after every installed package
    return module


def _import_failed(error: Exception, spec: str) -> Exception:
    if isinstance(error, SyntaxError) and error.filename:
        return UserCodeError(f"{shown_path(error.filename)}:{error.lineno}: SyntaxError: {error.msg}")
    found = located(error)
    if found is not None:
        return UserCodeError(found)
    return UsageError(f"cannot import {spec!r}: {type(error).__name__}: {first_line(error)}")


@lru_cache(maxsize=1)
def _library_folders() -> tuple[str, ...]:
    """Folders whose files are not the user's: the standard library, installed packages, torch and archcost."""
    import archcost

    folders = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    folders.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    folders.add(site.getusersitepackages())
    folders.add(str(Path(archcost.__file__).parent))
    torch_file = getattr(sys.modules.get("torch"), "__file__", None)
    if torch_file:
        folders.add(str(Path(torch_file).parent))
    return tuple(str(Path(f).resolve()) + os.sep for f in folders if f)


def is_users(filename: str) -> bool:
    if not filename or filename.startswith("<"):
        return False  # <frozen importlib._bootstrap>, <string>: no file of the user's
    parts = Path(filename).parts
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    resolved = str(Path(filename).resolve())
    return not resolved.startswith(_library_folders())


first_line = errors.first_line  # kept under this name: zoo/resolve.py imports it from here


def shown_path(filename: str) -> str:
    """Relative to the current folder when the file is under it (as the user typed it), absolute otherwise."""
    try:
        return str(Path(filename).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return filename


def user_frame(error: BaseException) -> traceback.FrameSummary | None:
    """The innermost frame of ``error``'s traceback that is the user's code."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if is_users(frame.filename):
            return frame
    return None


def where(frame: traceback.FrameSummary) -> str:
    return f"{shown_path(frame.filename)}:{frame.lineno} in {frame.name}"


def located(error: BaseException) -> str | None:
    """``file:line in function: Type: message`` for an error that passed through the user's code, else None."""
    frame = user_frame(error)
    if frame is None:
        return None
    return f"{where(frame)}: {type(error).__name__}: {first_line(error)}"


def raised_by_user(error: BaseException) -> bool:
    """Whether the innermost frame of all is the user's: their own ``raise`` (or a builtin they called)."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and is_users(frames[-1].filename)
