"""``--isolate``: each network is measured in a fresh Python process, so the allocator state, caches and oneDNN/cuDNN
plans one model leaves behind cannot slow (or speed) the next. The parent sends the job as JSON on stdin; the worker
(:mod:`archcost.timing.worker`) answers with one JSON line per event on stdout; its stderr goes to a temporary file
whose last line explains a crash.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator, Sequence

from archcost.timing.failures import failure
from archcost.timing.settings import BenchSettings

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding the archcost package


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
    return env


def measure_isolated(arch: str, batches: Sequence[int], settings: BenchSettings, *,
                     overrides: dict[str, Any] | None = None, observer: Any = None) -> Iterator[dict[str, Any]]:
    """Yield the records of :func:`archcost.timing.harness.measure_arch`, measured in a child process."""
    job = {"arch": arch, "batches": list(batches), "settings": settings.to_dict(), "overrides": overrides or {}}
    pending = list(batches)
    with tempfile.TemporaryFile(mode="w+") as errors:
        child = subprocess.Popen([sys.executable, "-m", "archcost.timing.worker"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=errors, text=True, env=_environment())
        try:
            assert child.stdin is not None and child.stdout is not None
            child.stdin.write(json.dumps(job))
            child.stdin.close()
            for line in child.stdout:
                try:
                    message = json.loads(line)
                except json.JSONDecodeError:  # not ours (a C extension writing to fd 1): not a result
                    continue
                if message["event"] in ("start", "progress"):
                    if observer:
                        observer(message["event"], message["payload"])
                    continue
                record = message["record"]
                if record["batch"] in pending:
                    pending.remove(record["batch"])
                yield record
            code = child.wait()
        finally:
            if child.poll() is None:  # the consumer stopped early (an error or an interrupt): end our child
                child.kill()
                child.wait()
        if pending:
            errors.seek(0)
            lines = [line.strip() for line in errors.read().splitlines() if line.strip()]
            why = lines[-1] if lines else "no message"
            for batch in pending:
                yield failure(arch, batch, "worker_crashed",
                              f"{arch} batch {batch}: the isolated process exited with code {code} ({why[:200]})")
