"""Markdown for one benchmark run. Pure: reads :class:`Results`, returns text."""

from __future__ import annotations

from typing import Any

from _speed_checks import Check, Results, Summary, zoo_totals
from _speed_harness import PEER_RULES, agreement, median, ratio, rss_mb


def _table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f} s" if value >= 0.1 else f"{value * 1e3:.1f} ms"


def _status(summary: Summary | None, limits: dict[str, Any]) -> str | None:
    """The cell for a run that gave no figure, or None when it did."""
    if summary is None:
        return "not run"
    if summary.status == "timeout":
        return f"timeout (> {limits['timeout_s']:.0f} s)"
    if summary.status == "memory":
        return f"skipped (memory > {limits['memory_cap_gb']:g} GB, after {summary.wall_s:.0f} s)"
    if summary.status == "failed":
        return f"failed: {summary.error.replace('|', '/')[:80]}"
    return None if summary.ok else summary.status


def _cold_time(results: Results, limits: dict[str, Any], key: str) -> str:
    """``key``: ``wall_s`` or ``cpu_s`` of the cold processes, with each peer's ratio to archcost."""
    rows = []
    for case in results.cases:
        ours = results.cold.get((case, "archcost"))
        row = [case, results.inputs.get(case, "")]
        for tool in results.tools:
            summary = results.cold.get((case, tool))
            cell = _status(summary, limits)
            if cell is None and summary is not None:
                cell = _seconds(getattr(summary, key))
                speed = ratio(getattr(summary, key), getattr(ours, key) if ours and ours.ok else None)
                if tool != "archcost" and speed is not None:
                    cell += f" ({speed:.1f}x)"
            row.append(cell)
        rows.append(row)
    return _table(["model", "input", *results.tools], rows, "ll" + "r" * len(results.tools))


def _count_phase(results: Results) -> str:
    rows = []
    for case in results.cases:
        row = [case]
        for tool in results.tools:
            summary = results.cold.get((case, tool))
            phases = (summary.result or {}).get("phases_s", {}) if summary and summary.ok else {}
            if not phases:
                row.append("—")
                continue
            counted = phases.get("count", phases.get("build+count"))
            # What the phases do not cover: interpreter start and, mostly, tearing torch down at exit.
            rest = summary.wall_s - sum(phases.values()) if summary.wall_s is not None else None
            row.append(f"{_seconds(phases.get('import'))} / {_seconds(phases.get('build'))} / {_seconds(counted)}"
                       f" / {_seconds(rest)}")
        rows.append(row)
    return _table(["model (import / build / count / start + exit)", *results.tools], rows)


def _rss(results: Results) -> str:
    base = results.baseline_rss_mb()
    rows = []
    for case in results.cases:
        row = [case]
        for tool in results.tools:
            summary = results.cold.get((case, tool))
            peak = rss_mb(summary.maxrss_kib) if summary is not None else None
            if peak is None:
                row.append("—")
                continue
            over = f" (+{peak - base:.0f})" if base is not None else ""
            mark = "" if summary is not None and summary.ok else f" [{summary.status if summary else ''}]"
            row.append(f"{peak:.0f}{over}{mark}")
        rows.append(row)
    return _table(["model", *results.tools], rows)


def _warm(results: Results) -> str:
    rows = []
    reps = None
    for case in results.cases:
        outcome = results.warm.get(case)
        if outcome is None or not outcome.ok or outcome.result is None:
            status = "not run" if outcome is None else f"{outcome.status} {outcome.error}"[:80]
            rows.append([case, status, "", "", "", "", "", ""])
            continue
        med, first = outcome.result["median_s"], outcome.result["first_s"]
        reps = outcome.result["reps"]
        speed = ratio(med["archcost"], med["flop_counter"])
        rows.append([case, _seconds(med["archcost"]), _seconds(med["flop_counter"]),
                     f"{speed:.2f}" if speed is not None else "—", _seconds(med["archcost_by_name"]),
                     _seconds(med.get("archcost_repeated")), _seconds(first["archcost"]),
                     _seconds(first["flop_counter"])])
    header = ["model", "archcost (prebuilt meta model)", "flop_counter (same model)", "archcost / flop_counter",
              "archcost by name (build + count, cache emptied)", "archcost by name, repeated (cache hit)",
              "first archcost call", "first flop_counter call (after archcost's)"]
    note = (f"Median of {reps} repetitions after one warm-up, interleaved, same process; archcost and flop_counter "
            "count the same prebuilt meta model. The first calls are the warm-ups, archcost's first: each pays the "
            "lazy imports it triggers that an earlier call has not (torch wraps a dispatch mode such as "
            "flop_counter's so that its first op imports torch._dynamo).") if reps else ""
    return _table(header, rows) + ("\n\n" + note if note else "")


def _totals(results: Results) -> str:
    rows = []
    for case in results.cases:
        warm = results.warm.get(case)
        breakdown = warm.result["breakdown"] if warm is not None and warm.ok and warm.result else None
        ours = results.cold.get((case, "archcost"))
        archcost_macs = breakdown["macs"] if breakdown else (ours.result or {}).get("macs") if ours else None
        rows.append([case, "archcost (paper)", "meta", f"{archcost_macs:,}" if archcost_macs else "—", "", ""])
        for tool in results.tools[1:]:
            summary = results.cold.get((case, tool))
            result = summary.result if summary is not None and summary.ok else None
            if result is None or result.get("macs") is None:
                rows.append([case, tool, results.devices.get(tool, ""), "—", "—", "no total"])
                continue
            macs = result["macs"]
            if breakdown is None:
                rows.append([case, tool, results.devices.get(tool, ""), f"{macs:,.0f}", "—", "no archcost breakdown"])
                continue
            agreed = agreement(tool, macs, breakdown)
            rows.append([case, tool, results.devices.get(tool, ""), f"{macs:,.0f}",
                         f"{100 * agreed.relative_difference:+.3f}%", agreed.explain()])
    return _table(["model", "tool", "ran on", "total as MACs", "vs archcost", "difference explained by archcost's "
                   "op classes"], rows, "lllrrl")


def _conventions(results: Results) -> str:
    lines = ["- **archcost** (meta): the `paper` convention, conv + linear multiply-accumulates, biases not counted; "
             "the breakdown columns are archcost's own op classes from the same analysis."]
    for tool in results.tools[1:]:
        lines.append(f"- **{tool}** ({results.devices.get(tool, '')}): {PEER_RULES[tool].counts}.")
    if results.missing_peers:
        lines.append(f"- Not installed, not measured: {', '.join(results.missing_peers)} "
                     "(`pip install -e '.[peers]'`).")
    for case, arch in results.unregistered.items():
        lines.append(f"- {case}: `{arch}` is not registered yet (`archcost list`), not measured.")
    return "\n".join(lines)


def _zoo(results: Results) -> str:
    totals, failed, problem = zoo_totals(results)
    if problem is not None:
        return problem
    first = results.zoo[0].result
    per_model = first["per_model_s"]
    slowest = sorted(per_model.items(), key=lambda kv: -kv[1])[:8]
    text = (f"{len(per_model)} architectures analysed in {', '.join(f'{t:.2f} s' for t in totals)} "
            f"({len(totals)} fresh processes; the first imported torch in {first['import_s']:.2f} s). "
            "Slowest in the first: " + ", ".join(f"{n} {_seconds(s)}" for n, s in slowest) + ".")
    if failed:
        text += " Failed: " + "; ".join(f"{n} ({e})" for n, e in sorted(failed.items())) + "."
    return text


def _cli(results: Results) -> str:
    rows = []
    for command, walls in results.cli_s.items():
        if command in results.cli_failures:
            rows.append([f"`{command}`", results.cli_failures[command], "", ""])
            continue
        cpu = results.cli_cpu_s.get(command, [])
        rows.append([f"`{command}`", _seconds(median(walls)), _seconds(min(walls) if walls else None),
                     _seconds(median(cpu))])
    return _table(["command (fresh process each run)", "median wall", "min wall", "median CPU"], rows)


def render(results: Results, checks: list[Check], *, command: str, limits: dict[str, Any]) -> str:
    parts = [*_intro(results, checks, command), *_cold_sections(results, limits), *_other_sections(results)]
    return "\n".join(parts)


def _intro(results: Results, checks: list[Check], command: str) -> list[str]:
    """The title, how it was written, the machine and the checks."""
    machine_rows = [[k, str(v)] for k, v in results.machine.items()]
    return [
        "# Analysis speed and memory: archcost against its peers",
        "",
        f"Written by `{command}`. Timings are what this machine gave during the run, other work included (see the "
        "load averages); re-run the script to refresh them. MACs are multiply-accumulates; every peer's total is "
        "converted to MACs by that tool's own documented convention.",
        "",
        "## Machine",
        "",
        _table(["", ""], machine_rows, "ll"),
        "",
        "## Checks (issue 7)",
        "",
        "```",
        *[c.line() for c in checks],
        "```",
        "",
    ]


def _cold_sections(results: Results, limits: dict[str, Any]) -> list[str]:
    """Fresh processes: wall and CPU time, and where the time goes."""
    base_rss, base_wall = results.baseline_rss_mb(), results.baseline_wall_s()
    return [
        "## Cold: wall time of a fresh process (interpreter start, imports, build, count)",
        "",
        f"Baseline `import torch` alone: {_seconds(base_wall)}, peak RSS {base_rss:.0f} MB "
        f"(median of {len(results.baseline)} runs)." if base_rss is not None else "Baseline not measured.",
        "In brackets: the peer's time divided by archcost's (above 1: archcost is faster). "
        f"Each process is capped at {limits['timeout_s']:.0f} s and {limits['memory_cap_gb']:g} GB resident; "
        f"median of {limits['repeat']} run(s).",
        "",
        _cold_time(results, limits, "wall_s"),
        "",
        "The same processes' CPU time (user + system; it can exceed wall time when torch uses both cores, and it is "
        "less disturbed than wall time by other work on the machine):",
        "",
        _cold_time(results, limits, "cpu_s"),
        "",
        "### Where the cold time goes (import / build / count, timed inside the process; the rest of the wall "
        "time)",
        "",
        "archcost's build and count are one call (`archcost.analyze(name)`), shown under count. The last figure is "
        "the wall time the phases do not cover: interpreter start (see `python -c pass` below) and shutdown, which "
        "after `import torch` is most of it.",
        "",
        _count_phase(results),
        "",
    ]


def _other_sections(results: Results) -> list[str]:
    """Memory, warm analyses, totals, command-line start-up and the zoo."""
    return [
        "## Peak RSS in MB (in brackets: above `import torch` alone)",
        "",
        _rss(results),
        "",
        "## Warm: one analysis in an already warm process",
        "",
        _warm(results),
        "",
        "## Totals: does each tool agree with archcost?",
        "",
        _totals(results),
        "",
        "What each tool counts, and where it ran:",
        "",
        _conventions(results),
        "",
        "## Command-line start-up",
        "",
        _cli(results),
        "",
        "## The whole zoo in one process",
        "",
        _zoo(results),
        "",
    ]
