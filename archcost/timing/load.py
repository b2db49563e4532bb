"""Is the machine busy? Two signals, both cheap and both reported with the results:

- the 1-minute load average (``os.getloadavg``) read before the run, against the cores this process may use
  (``os.sched_getaffinity``): other work holding ``load`` cores leaves ``cores - load`` for us, and asking torch for more
  threads than that makes them wait on each other (thread contention, which can make a call many times slower than
  with one thread);
- unstable measurements: the warm-up windows never agreed, or the timed calls vary by more than ``COV_LIMIT``.

Pure apart from :func:`read_load`, so tests feed simulated figures instead of timing anything.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

COV_LIMIT = 0.10  # coefficient of variation of the timed calls above which a measurement counts as unstable
IDLE_LOAD = 0.5  # a load below half a core is background noise (a shell, an editor), not a competing job
MIN_WINDOWS = 4  # warm-up windows that must disagree before an unsettled warm-up counts as a busy machine
THREAD_MARGIN = 0.5  # how far the free cores may fall short of the threads before they contend


@dataclass(frozen=True)
class Load:
    load_1min: float | None  # None where the platform has no load average
    cores: int
    threads: int
    busy: bool
    reason: str | None  # why it counts as busy, for people; None when it does not
    advice: str | None  # the options to rerun with

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def warning(self) -> str | None:
        """The one line the CLI prints when the machine is busy."""
        return None if not self.busy else f"busy machine: {self.reason}; {self.advice}"


def read_load() -> tuple[float | None, int]:
    """The 1-minute load average and the number of usable cores of this machine, right now."""
    try:
        load: float | None = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        load = None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return load, cores


def _contention(load_1min: float | None, cores: int, threads: int) -> tuple[str, str] | None:
    if load_1min is None or load_1min < IDLE_LOAD:
        return None
    free = cores - load_1min
    if free >= threads - THREAD_MARGIN:
        return None
    fitting = max(1, math.floor(free + THREAD_MARGIN))
    reason = (f"1-minute load {load_1min:.2f} on {cores} usable core{'s' if cores != 1 else ''} before the run "
              f"leaves {max(free, 0):.1f} free for {threads} thread{'s' if threads != 1 else ''}")
    if fitting < threads:
        return reason, f"rerun with --threads {fitting} --isolate, or when the other work is done"
    return reason, "rerun with --isolate when the other work is done"


def _unsettled(record: dict[str, Any], windows_after: int) -> bool:
    # A warm-up cut short by a small budget (--max-warmup 0) says nothing about the machine: only one that ran
    # MIN_WINDOWS windows past its minimum calls without two agreeing counts.
    return not record.get("warmup_stable", True) and record.get("warmup_runs", 0) >= windows_after


def _unstable(results: Sequence[dict[str, Any]], windows_after: int) -> str | None:
    shaky = [r for r in results if _unsettled(r, windows_after) or (r.get("cov") or 0.0) > COV_LIMIT]
    if not shaky:
        return None
    names = ", ".join(f"{r['arch']} batch {r['batch']}" for r in shaky[:3]) + (" ..." if len(shaky) > 3 else "")
    return (f"unstable timings in {len(shaky)} of {len(results)} measurement{'s' if len(results) != 1 else ''} "
            f"({names}: warm-up windows kept disagreeing or call times vary by more than {100 * COV_LIMIT:g}%)")


def assess(load_1min: float | None, cores: int, threads: int, results: Sequence[dict[str, Any]] = (), *,
           warmup: int = 0, window: int = 3) -> Load:
    """Combine the load seen before the run with the stability of its measurements (``warmup`` and ``window``: the
    settings' minimum warm-up calls and window length)."""
    contention = _contention(load_1min, cores, threads)
    unstable = _unstable(results, warmup + MIN_WINDOWS * window)
    reasons = [text for text in (contention[0] if contention else None, unstable) if text]
    if not reasons:
        return Load(load_1min, cores, threads, busy=False, reason=None, advice=None)
    if contention:
        advice = contention[1]
    elif threads > 1:
        advice = "rerun with --threads 1 --isolate on a quieter machine"
    else:
        advice = "rerun with --isolate on a quieter machine, or raise --min-time"
    return Load(load_1min, cores, threads, busy=True, reason="; ".join(reasons), advice=advice)
