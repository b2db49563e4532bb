"""The measurements of one benchmark run and issue 7's checks over them. Pure: no processes, no clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from _speed_harness import Outcome, median, ratio, rss_mb

# Issue 7's targets.
FVCORE_SPEEDUP = 10.0
FVCORE_CASES = ("vgg16@1024", "efficientnet-b7@600")
RSS_OVER_TORCH_MB = 100.0
ZOO_S = 3.0
CLI_LIMITS_S = {"archcost --help": 0.25, "archcost list": 0.5,
                "archcost table googlenet --format json (result cache warm)": 1.5,
                "archcost table googlenet --format json (empty result cache)": 1.5}


@dataclass
class Summary:
    """Repeated cold runs of one (tool, case) reduced to one figure each: the median, or the first failure."""

    status: str
    wall_s: float | None = None
    maxrss_kib: int | None = None
    result: dict[str, Any] | None = None
    error: str = ""
    cpu_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def summarise(outcomes: list[Outcome]) -> Summary:
    if not outcomes:
        return Summary("not run")
    bad = [o for o in outcomes if not o.ok]
    if bad:
        return Summary(bad[0].status, bad[0].wall_s, bad[0].maxrss_kib, None, bad[0].error, bad[0].cpu_s)
    walls = [o.wall_s for o in outcomes if o.wall_s is not None]
    rss = [o.maxrss_kib for o in outcomes if o.maxrss_kib is not None]
    cpu = [o.cpu_s for o in outcomes if o.cpu_s is not None]
    middle = sorted(outcomes, key=lambda o: o.wall_s or 0.0)[(len(outcomes) - 1) // 2]
    return Summary("ok", median(walls), int(median(rss)) if rss else None, middle.result, cpu_s=median(cpu))


@dataclass
class Results:
    """Everything one run measured; the report and the checks read only this."""

    machine: dict[str, Any]
    cases: list[str]  # labels measured, in order
    tools: list[str]  # "archcost" then the peers that ran
    missing_peers: list[str] = field(default_factory=list)
    unregistered: dict[str, str] = field(default_factory=dict)  # case label -> arch missing from the registry
    inputs: dict[str, str] = field(default_factory=dict)  # case label -> "3x224x224"
    baseline: list[Outcome] = field(default_factory=list)  # `import torch` alone
    cold: dict[tuple[str, str], Summary] = field(default_factory=dict)  # (case, tool)
    devices: dict[str, str] = field(default_factory=dict)  # tool -> where it ran
    warm: dict[str, Outcome] = field(default_factory=dict)
    zoo: list[Outcome] = field(default_factory=list)  # fresh processes, each analysing the whole zoo
    cli_s: dict[str, list[float]] = field(default_factory=dict)
    cli_cpu_s: dict[str, list[float]] = field(default_factory=dict)
    cli_failures: dict[str, str] = field(default_factory=dict)

    def baseline_rss_mb(self) -> float | None:
        values = [rss_mb(o.maxrss_kib) for o in self.baseline if o.ok]
        return median(v for v in values if v is not None)

    def baseline_wall_s(self) -> float | None:
        return median(o.wall_s for o in self.baseline if o.ok and o.wall_s is not None)


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool | None  # None: could not be decided (something did not run)
    detail: str

    def line(self) -> str:
        mark = {True: "PASS", False: "FAIL", None: "N/A "}[self.passed]
        return f"{mark}  {self.name}: {self.detail}"


def _all(verdicts: list[bool | None]) -> bool | None:
    if any(v is False for v in verdicts):
        return False
    return None if not verdicts or any(v is None for v in verdicts) else True


def check_warm(results: Results) -> Check:
    verdicts, notes = [], []
    for case in results.cases:
        outcome = results.warm.get(case)
        if outcome is None or not outcome.ok or outcome.result is None:
            verdicts.append(None)
            notes.append(f"{case} {outcome.status if outcome else 'not run'}")
            continue
        ours, theirs = outcome.result["median_s"]["archcost"], outcome.result["median_s"]["flop_counter"]
        verdicts.append(ours <= theirs)
        if ours > theirs:
            notes.append(f"{case} {ours * 1e3:.0f} ms > {theirs * 1e3:.0f} ms")
    detail = f"{sum(v is True for v in verdicts)}/{len(verdicts)} models"
    return Check("warm archcost <= warm flop_counter on every model", _all(verdicts),
                 detail + ("; " + ", ".join(notes) if notes else ""))


def _in_process_s(summary: Summary | None) -> float | None:
    """Build + count, timed inside the process: imports, interpreter start and exit excluded."""
    phases = (summary.result or {}).get("phases_s", {}) if summary is not None and summary.ok else {}
    if "build+count" in phases:
        return phases["build+count"]
    return phases["build"] + phases["count"] if "build" in phases and "count" in phases else None


def check_fvcore(results: Results, *, basis: str = "cold") -> Check:
    """``basis``: ``cold`` (fresh process, as a user waits for it) or ``in-process`` (build + count only: both tools
    pay the same import of torch, which a 10x target on a cold process would have to beat too)."""
    verdicts, notes = [], []
    for case in FVCORE_CASES:
        ours, theirs = results.cold.get((case, "archcost")), results.cold.get((case, "fvcore"))
        if basis == "in-process":
            ours_s, theirs_s = _in_process_s(ours), _in_process_s(theirs)
            if ours_s is None or theirs_s is None:
                verdicts.append(None)
                notes.append(f"{case}: not measured" + (f" (fvcore {theirs.status})" if theirs else ""))
                continue
            speedup = ratio(theirs_s, ours_s)
            assert speedup is not None
            verdicts.append(speedup >= FVCORE_SPEEDUP)
            notes.append(f"{case} {speedup:.1f}x ({theirs_s:.2f} s / {ours_s:.2f} s)")
            continue
        if ours is None or theirs is None or not ours.ok or theirs.wall_s is None or theirs.status not in (
                "ok", "timeout", "memory"):
            verdicts.append(None)
            notes.append(f"{case}: not measured")
            continue
        speedup = ratio(theirs.wall_s, ours.wall_s)
        assert speedup is not None
        # A killed fvcore ran at least as long as it was watched: its speed-up is a lower bound.
        bound = "" if theirs.ok else ">= "
        verdicts.append(True if speedup >= FVCORE_SPEEDUP else (False if theirs.ok else None))
        cpu = ratio(theirs.cpu_s, ours.cpu_s)
        cpu_note = f", CPU time {bound}{cpu:.1f}x" if cpu is not None else ""
        notes.append(f"{case} {bound}{speedup:.1f}x" + ("" if theirs.ok else f" (fvcore {theirs.status})") + cpu_note)
    what = "cold, fresh process" if basis == "cold" else "build + count in process, imports excluded"
    return Check(f">= {FVCORE_SPEEDUP:.0f}x faster than fvcore ({what})", _all(verdicts), "; ".join(notes))


def check_rss(results: Results) -> Check:
    base = results.baseline_rss_mb()
    verdicts, worst = [], None
    for case in results.cases:
        summary = results.cold.get((case, "archcost"))
        over = None if base is None or summary is None or not summary.ok else rss_mb(summary.maxrss_kib)
        if over is None:
            verdicts.append(None)
            continue
        over -= base
        verdicts.append(over <= RSS_OVER_TORCH_MB)
        if worst is None or over > worst[1]:
            worst = (case, over)
    detail = "no measurement" if worst is None else f"worst {worst[0]} +{worst[1]:.0f} MB over import torch " \
                                                    f"({base:.0f} MB)"
    return Check(f"archcost peak RSS within {RSS_OVER_TORCH_MB:.0f} MB of import torch alone", _all(verdicts), detail)


def zoo_totals(results: Results) -> tuple[list[float], dict[str, str], str | None]:
    """Each run's whole-zoo time, the failed entries, and why nothing was measured (None when something was)."""
    if not results.zoo:
        return [], {}, "not run"
    broken = [o for o in results.zoo if not o.ok or o.result is None]
    if broken:
        return [], {}, f"{broken[0].status} {broken[0].error}"
    failed: dict[str, str] = {}
    for outcome in results.zoo:
        failed.update(outcome.result["failed"])
    return [o.result["total_s"] for o in results.zoo], failed, None


def check_zoo(results: Results) -> Check:
    title = f"whole zoo analysed in one process < {ZOO_S:.0f} s after import"
    totals, failed, problem = zoo_totals(results)
    if problem is not None:
        return Check(title, None, problem)
    first = results.zoo[0].result
    mid = median(totals)
    assert mid is not None
    detail = (f"{len(first['per_model_s'])} architectures: median {mid:.2f} s of {len(totals)} fresh processes "
              f"({', '.join(f'{t:.2f}' for t in totals)} s; import {first['import_s']:.2f} s)")
    if failed:
        detail += f"; {len(failed)} failed: {', '.join(sorted(failed))}"
    return Check(title, mid < ZOO_S and not failed, detail)


def check_cli(results: Results) -> list[Check]:
    checks = []
    for command, limit in CLI_LIMITS_S.items():
        walls = results.cli_s.get(command, [])
        if command in results.cli_failures or not walls:
            checks.append(Check(f"`{command}` < {limit} s", None, results.cli_failures.get(command, "not run")))
            continue
        mid, cpu = median(walls), median(results.cli_cpu_s.get(command, []))
        assert mid is not None
        cpu_note = f", CPU {cpu:.3f} s" if cpu is not None else ""
        base = results.baseline_wall_s()
        if "empty result cache" in command and base is not None:  # it imports torch: the floor it cannot go below
            cpu_note += f"; import torch alone, at the start of the run: {base:.3f} s"
        checks.append(Check(f"`{command}` < {limit} s", mid < limit,
                            f"median {mid:.3f} s of {len(walls)} fresh runs (min {min(walls):.3f} s{cpu_note})"))
    return checks


def all_checks(results: Results) -> list[Check]:
    return [check_warm(results), check_fvcore(results), check_fvcore(results, basis="in-process"), check_rss(results),
            check_zoo(results), *check_cli(results)]
