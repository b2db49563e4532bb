"""The project's own golden file of computed values (``archcost/golden/reproduce.json``): ``--check`` fails when a
computed value, the flagged set (printed figures that disagree) or the truncated set of a target moves, naming what
moved. Published figures are not in it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from archcost.errors import ArchcostError, Option, literal
from archcost.reproduction.core import Reproduction

GOLDEN_PATH = Path(__file__).resolve().parent.parent / "golden" / "reproduce.json"
GOLDEN_SCHEMA = "archcost.reproduce-golden/1"


class GoldenMissingError(ArchcostError):
    pass


class DriftError(ArchcostError):
    pass


def snapshot(reproductions: Sequence[Reproduction]) -> dict[str, Any]:
    return {"schema": GOLDEN_SCHEMA, "targets": {
        r.target: {"computed": {f"{x.row} / {x.quantity}": x.computed for x in (*r.rows, *r.claims)},
                   "flagged": r.flagged(), "truncated": r.truncated()}
        for r in reproductions}}


def golden_text(reproductions: Sequence[Reproduction]) -> str:
    return json.dumps(snapshot(reproductions), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def drift(reproductions: Sequence[Reproduction], *, path: Path | None = None) -> list[str]:
    """What moved against the golden file, one line per moved value; empty when nothing did."""
    path = path or GOLDEN_PATH
    if not path.is_file():
        raise GoldenMissingError(f"no golden file at {literal(str(path))}; create it with "
                                 "'archcost reproduce $write_golden'", Option("write_golden"))
    golden = json.loads(path.read_text(encoding="utf-8"))["targets"]
    moved = []
    for current in snapshot(reproductions)["targets"].items():
        target, now = current
        if target not in golden:
            moved.append(f"{target}: not in the golden file")
            continue
        then = golden[target]
        for key in sorted(set(now["computed"]) | set(then["computed"])):
            a, b = then["computed"].get(key), now["computed"].get(key)
            if a != b:
                moved.append(f"{target}: {key}: {a!r} -> {b!r}")
        for kind in ("flagged", "truncated"):  # a golden file older than the truncated status lists none
            if now[kind] != then.get(kind, []):
                moved.append(f"{target}: {kind} rows {then.get(kind, [])} -> {now[kind]}")
    return moved
