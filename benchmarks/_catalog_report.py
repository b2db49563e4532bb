"""``reports/catalog.md`` from the JSON lines ``benchmarks/catalog.py`` writes under ``reports/catalog/``."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# A failure's cause, from its one-line reason: what is left, and which part of archcost it belongs to.
CAUSES = (
    ("build on meta: the builder computes with tensors (helper build)",
     ("Cannot copy out of meta tensor", "no data!", "tolist", ".item() on", "meta tensors do not")),
    ("data-dependent op on meta: needs the CPU rerun (helper inputs)",
     ("nonzero", "torchvision::nms", "data-dependent", "register_meta", "masked_select", "unique", "_local_scalar")),
    ("more than one forward input: RAFT's two frames (helper inputs)",
     ("input shape is needed", "required positional argument")),
    ("fused attention kernel without a rule (helper rules)",
     ("scaled_dot_product", "flash_attention", "efficient_attention")),
    ("timeout", ("timeout", "TimeoutError")),
)
LOOSE_FAMILIES = ("detection", "optical_flow")  # only parameters are required to match (see the report's notes)


def _read(paths: list[Path]) -> list[dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                records[record["name"]] = record
    return list(records.values())


def cause(reason: str) -> str:
    return next((label for label, needles in CAUSES if any(n in reason for n in needles)), "other")


def _gmacs(macs: int | None) -> str:
    return "" if macs is None else f"{macs / 1e9:.3f}"


def _ints(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def torchvision_status(record: dict[str, Any]) -> tuple[str, list[str]]:
    """('ok' | 'mismatch' | 'failed' | 'out of scope', what differs or why it failed)."""
    if record.get("status") == "out of scope":
        return "out of scope", [record["error"]]
    if "error" in record:
        built = record.get("reference_params")
        if built is None:
            return "failed", [record["error"]]
        same = "=" if built == record.get("published_params") else "!="
        return "failed", [record["error"], f"the published configuration builds with {built:,} params ({same} "
                          "published)"]
    checks = {"params": record["params"] == record.get("published_params")}
    if record.get("published_gmacs") is not None:
        checks["published GMACs"] = _gmacs(record["macs"]) == f"{record['published_gmacs']:.3f}"
    if "reference_macs" in record:
        checks["FlopCounter"] = record["macs"] == record["reference_macs"]
    required = ("params",) if record["family"] in LOOSE_FAMILIES else tuple(checks)
    failing = [k for k in required if not checks[k]]
    notes = [f"{k} differs" for k in failing]
    if record.get("uncounted"):
        notes.append("uncounted: " + ", ".join(record["uncounted"]))
    return ("mismatch" if failing else "ok"), notes


def timm_status(record: dict[str, Any]) -> tuple[str, list[str]]:
    if "error" in record:
        also = " (the reference fails too)" if "reference_error" in record else ""
        return "failed", [record["error"] + also]
    if "reference_error" in record:
        return "no reference", [record["reference_error"]]
    failing = [k for k, a, b in (("params", "params", "reference_params"), ("MACs", "macs", "reference_macs"))
               if record[a] != record[b]]
    notes = [f"{k} differ" for k in failing] + (["uncounted: " + ", ".join(record["uncounted"])]
                                               if record.get("uncounted") else [])
    return ("mismatch" if failing else "ok"), notes


def _versions(python: str) -> str:
    code = ("import importlib.metadata as m, platform; print(platform.python_version(), "
            "*(f'{p} ' + m.version(p) for p in ('torch', 'torchvision', 'timm')), sep=', ')")
    try:
        return subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _machine() -> str:
    from archcost.timing.procfs import proc_field  # torch-free

    model = proc_field("/proc/cpuinfo", "model name") or (platform.processor() if Path("/proc/cpuinfo").exists()
                                                          else "")
    return f"{platform.system()} {platform.machine()}, {model}, {os.cpu_count()} cores"


def _timing(seconds: list[float]) -> str:
    if not seconds:
        return "no models"
    return (f"median {statistics.median(seconds):.2f} s, mean {statistics.mean(seconds):.2f} s, "
            f"max {max(seconds):.1f} s, total {sum(seconds) / 60:.1f} min over {len(seconds)} models")


def _torchvision(records: list[dict[str, Any]]) -> list[str]:
    out = ["## torchvision: every model, through `archcost table torchvision:NAME --format json`", ""]
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    causes: Counter[tuple[str, str]] = Counter()
    rows = []
    for r in sorted(records, key=lambda r: (r["family"], r["name"])):
        status, notes = torchvision_status(r)
        counts[r["family"]][status] += 1
        if status == "failed":
            causes[(r["family"], cause(notes[0]))] += 1
        ref = "" if "reference_macs" not in r else (
            "=" if r.get("macs") == r["reference_macs"] else _gmacs(r["reference_macs"]))
        rows.append(f"| {r['family']} | {r['name']} | {_ints(r.get('published_params'))} | {_ints(r.get('params'))} "
                    f"| {r.get('published_gmacs') if r.get('published_gmacs') is not None else ''} "
                    f"| {_gmacs(r.get('macs'))} | {ref} | {status} | {r.get('seconds', '')} "
                    f"| {'; '.join(notes).replace('|', '/')} |")
    out += ["| family | ok | mismatch | failed | out of scope |", "|---|---|---|---|---|"]
    for family, c in sorted(counts.items()):
        out.append(f"| {family} | {c['ok']} | {c['mismatch']} | {c['failed']} | {c['out of scope']} |")
    total = sum(counts.values(), Counter())
    out += [f"| **all** | {total['ok']} | {total['mismatch']} | {total['failed']} | {total['out of scope']} |", ""]
    if causes:
        out += ["Failures by cause:", ""] + [f"- {family}: {n} x {label}" for (family, label), n in
                                              sorted(causes.items())] + [""]
    seconds = [r["seconds"] for r in records if isinstance(r.get("seconds"), (int, float))]
    out += [f"Time per model (one CLI process each: interpreter start, imports, build, trace): {_timing(seconds)}.",
            "", "| family | model | params published | params archcost | GMACs published | GMACs archcost "
            "| FlopCounter/2 GMACs | status | s | notes |", "|---|---|---|---|---|---|---|---|---|---|", *rows, ""]
    return out


def _timm(records: list[dict[str, Any]], cli: list[dict[str, Any]], listed: int | None) -> list[str]:
    statuses = {r["name"]: timm_status(r) for r in records}
    c = Counter(s for s, _ in statuses.values())
    n = len(records)
    share = f"{100 * c['ok'] / n:.1f} %" if n else "n/a"
    seconds = [r["seconds"] for r in records if "seconds" in r]
    out = ["## timm: `timm.list_models()` through `archcost.analyze(\"timm:NAME\")`", "",
           (f"**Partial run: {n} of the {listed} names** (the run was stopped; `python benchmarks/catalog.py --only "
            "timm --resume` continues it). " if listed and n < listed else "") +
           f"{n} models: **{c['ok']} ok ({share})**, {c['mismatch']} mismatch, {c['failed']} failed, "
           f"{c['no reference']} without a reference (FlopCounterMode itself fails). ok = parameters equal "
           "`sum(p.numel())` and MACs equal FlopCounterMode / 2 of the same forward, at the pretrained_cfg input.", "",
           f"archcost time per model (in process, build + trace): {_timing(seconds)}; the reference (a second "
           f"build + FlopCounterMode) took {sum(r.get('reference_seconds', 0) for r in records) / 60:.1f} min more.",
           ""]
    bad = sorted((name, s, notes) for name, (s, notes) in statuses.items() if s != "ok")
    if bad:
        by_cause = Counter(cause(notes[0]) for _, s, notes in bad if s == "failed")
        out += ["Failures by cause: " + "; ".join(f"{k}: {v}" for k, v in by_cause.most_common()) + ".", "",
                "| model | status | cause | one-line reason |", "|---|---|---|---|"]
        out += [f"| {name} | {s} | {cause(notes[0]) if s == 'failed' else ''} | "
                f"{'; '.join(notes).replace('|', '/')} |" for name, s, notes in bad]
        out.append("")
    if cli:
        out += [f"### timm through the CLI: a sample of {len(cli)} (every {len(records) // max(1, len(cli))}th "
                "name), `archcost table timm:NAME --format json`", "",
                "| model | input | params archcost | params sum(p.numel()) | MACs archcost | FlopCounter/2 | status "
                "| s |", "|---|---|---|---|---|---|---|---|"]
        for r in sorted(cli, key=lambda r: r["name"]):
            status, notes = timm_status(r)
            shape = "x".join(map(str, r.get("input_shape") or r.get("reference_shapes", [[]])[0]))
            out.append(f"| {r['name']} | {shape} | {_ints(r.get('params'))} | {_ints(r.get('reference_params'))} "
                       f"| {_ints(r.get('macs'))} | {_ints(r.get('reference_macs'))} | {status}"
                       f"{': ' + '; '.join(notes).replace('|', '/') if notes else ''} | {r.get('seconds', '')} |")
        cc = Counter(timm_status(r)[0] for r in cli)
        out += ["", f"CLI sample: {cc['ok']} ok, {cc['mismatch']} mismatch, {cc['failed']} failed; "
                f"{_timing([r['seconds'] for r in cli if 'seconds' in r])}.", ""]
    return out


def render(data: Path, command: str, python: str) -> str:
    torchvision = _read([data / "torchvision.jsonl"]) if (data / "torchvision.jsonl").exists() else []
    timm = _read(sorted(data.glob("timm.*-of-*.jsonl")))
    cli = _read([data / "timm-cli.jsonl"]) if (data / "timm-cli.jsonl").exists() else []
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# Catalog: every torchvision model and timm's whole list through archcost", "",
             "Regenerate: `python benchmarks/catalog.py` (with torch, torchvision and timm installed; `--only "
             "torchvision|timm|timm-cli`, `--limit`, `--jobs`, `--resume` for partial runs; `--report` rewrites this "
             f"page from the raw results in `reports/catalog/`). This page: `{command}`.", "",
             f"Written {stamp} on {_machine()} (shared with other work: times are indicative); {_versions(python)}.",
             "", "Published figures are torchvision's `weights.meta['num_params']` and `_ops` (its \"GFLOPS\" are "
             "GMACs), compared at their printed 3 decimals; FlopCounter/2 is `torch.utils.flop_counter."
             "FlopCounterMode` total / 2 of the same model and input (`=`: equal to the MAC). Detection and RAFT "
             "need only their parameters to match: a detection forward keeps a data-dependent number of boxes "
             "(random weights, not the published ones), and their MACs are shown for information.", ""]
    if torchvision:
        lines += _torchvision(torchvision)
    if timm or cli:
        size = data / "timm-list.json"
        lines += _timm(timm, cli, json.loads(size.read_text())["models"] if size.exists() else None)
    return "\n".join(lines).rstrip() + "\n"
