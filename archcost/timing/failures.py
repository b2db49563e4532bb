"""The record of a batch that could not be measured: its own module, since both the harness (in process) and the
isolating parent (a crashed worker) write one, and the harness imports the isolating parent."""

from __future__ import annotations

from typing import Any


def failure(arch: str, batch: int, kind: str, message: str) -> dict[str, Any]:
    return {"arch": arch, "batch": batch, "kind": kind, "error": message}
