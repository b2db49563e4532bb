"""Builder arguments: ``--set KEY=VALUE`` parsing, the arguments a builder accepts, and an unknown one in one line.

Torch-free: ``archcost list`` reads every registry builder's signature, and the command line checks ``--set`` before
torch is imported.
"""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any, Callable, Iterable, Mapping

from archcost.errors import Option, UsageError, literal

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Not a literal but plainly meant as a string: --set norm=batch, --set act=nn.ReLU, --set name=layer-norm.
_BARE_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def parse_value(text: str) -> Any:
    """A Python literal (``None``, ``True``, ``3``, ``0.5``, ``'a'``, ``(1, 2)``), or a bare word as a string."""
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        if _BARE_WORD.match(text.strip()):
            return text.strip()
        raise UsageError(f"$overrides value {literal(repr(text))} is not a Python literal (None, True, 3, 0.5, 'text', "
                         "(1, 2)); quote a string that is not a plain word", Option("overrides")) from None


def parse_sets(items: Iterable[str] | None) -> dict[str, Any]:
    """``["width=64", "norm=batch"]`` -> ``{"width": 64, "norm": "batch"}``; a key given twice is an error."""
    found: dict[str, Any] = {}
    for item in items or ():
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or not _KEY.match(key):
            raise UsageError("$overrides is not KEY=VALUE with KEY a Python name (e.g. $example)",
                             Option("overrides", repr(item)), Option("overrides", "num_classes=10", key="example"))
        if key in found:
            raise UsageError("$overrides is given twice", Option("overrides", key))
        found[key] = parse_value(value)
    return found


def signature_of(builder: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(builder)
    except (TypeError, ValueError):
        return None  # a builtin or an odd callable: nothing to check against


def described(builder: Callable[..., Any]) -> list[dict[str, Any]]:
    """The keyword arguments a builder takes, each with its default (``None`` shown as ``None``) and annotation."""
    signature = signature_of(builder)
    if signature is None:
        return []
    rows = []
    for p in signature.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            continue
        rows.append({
            "name": ("**" + p.name) if p.kind is p.VAR_KEYWORD else p.name,
            "default": None if p.default is p.empty else p.default,
            "required": p.default is p.empty and p.kind is not p.VAR_KEYWORD,
            "annotation": "" if p.annotation is p.empty else (p.annotation if isinstance(p.annotation, str)
                                                               else getattr(p.annotation, "__name__", str(p.annotation))),
        })
    return rows


def shown(rows: list[dict[str, Any]]) -> str:
    """``num_classes=1000, input_size=224`` (and ``**widths``)."""
    return ", ".join(r["name"] if r["name"].startswith("**") or r["required"] else f"{r['name']}={r['default']!r}"
                     for r in rows)


def check(name: str, builder: Callable[..., Any], overrides: Mapping[str, Any]) -> None:
    """An argument the builder does not take is one line naming the ones it does (a builder with ``**kwargs``
    takes any name: its own error says which it refuses)."""
    signature = signature_of(builder)
    if not overrides or signature is None:
        return
    parameters = signature.parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return
    accepted = [p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    unknown = [k for k in overrides if k not in accepted]
    if unknown:
        takes = ", ".join(accepted) if accepted else "no arguments"
        raise UsageError(f"{name} does not take {', '.join(map(repr, unknown))}; it accepts: {takes}")


_UNEXPECTED = re.compile(r"unexpected keyword argument '([A-Za-z_][A-Za-z0-9_]*)'")


def unexpected_keyword(error: BaseException, overrides: Mapping[str, Any]) -> str | None:
    """The override a builder refused with ``TypeError: ... got an unexpected keyword argument 'KEY'``."""
    if not isinstance(error, TypeError):
        return None
    found = _UNEXPECTED.search(str(error))
    return found.group(1) if found and found.group(1) in overrides else None


def jsonable(value: Any) -> Any:
    """A value for the JSON provenance: literals as they are (tuples as lists), anything else as its repr."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: jsonable(v) for k, v in value.items()}
    return repr(value)
