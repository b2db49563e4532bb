"""The child side of ``--isolate``: read one job (JSON) on stdin, measure, write one JSON line per event on stdout.

Run as ``python -m archcost.timing.worker``. Python-level prints (a model that prints) are sent to stderr, so only the
protocol writes to stdout.
"""

from __future__ import annotations

import json
import sys
from typing import Any

_CHANNEL = sys.stdout  # the protocol's own stream; anything else printing to stdout is sent to stderr


def _send(message: dict[str, Any]) -> None:
    _CHANNEL.write(json.dumps(message, default=list) + "\n")
    _CHANNEL.flush()


def main() -> int:
    from archcost.timing.harness import apply_process_settings, measure_arch
    from archcost.timing.settings import BenchSettings

    sys.stdout = sys.stderr  # a model that prints must not corrupt the JSON lines
    job = json.loads(sys.stdin.read())
    settings = BenchSettings.from_dict(job["settings"])
    apply_process_settings(settings)
    for record in measure_arch(job["arch"], job["batches"], settings, overrides=job["overrides"],
                               observer=lambda event, payload: _send({"event": event, "payload": payload})):
        _send({"event": "record", "record": record})
    return 0


if __name__ == "__main__":
    sys.exit(main())
