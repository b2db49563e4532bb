"""The child side of ``--isolate``: read one job (JSON) on stdin, measure, write one JSON line per event on stdout.

Run as ``python -m archcost.bench.worker``; nothing else may write to stdout (torch's warnings go to stderr).
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, default=list) + "\n")
    sys.stdout.flush()


def main() -> int:
    from archcost.bench.harness import apply_process_settings, measure_arch
    from archcost.bench.settings import BenchSettings

    job = json.loads(sys.stdin.read())
    settings = BenchSettings.from_dict(job["settings"])
    apply_process_settings(settings)
    for record in measure_arch(job["arch"], job["batches"], settings, overrides=job["overrides"],
                               observer=lambda event, payload: _send({"event": event, "payload": payload})):
        _send({"event": "record", "record": record})
    return 0


if __name__ == "__main__":
    sys.exit(main())
