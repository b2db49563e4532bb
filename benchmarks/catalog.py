"""The catalog: every torchvision model and timm's whole list through archcost, against independent figures.

    python benchmarks/catalog.py                          # everything (~1-2 h on 2 cores), then reports/catalog.md
    python benchmarks/catalog.py --only torchvision       # the 109 torchvision models (quantized ones listed apart)
    python benchmarks/catalog.py --only timm --jobs 2     # timm.list_models() in 2 processes (halves of the list)
    python benchmarks/catalog.py --only timm-cli          # a sample of 40 timm models through the CLI
    python benchmarks/catalog.py --resume                 # keep what reports/catalog/ already holds, run the rest
    python benchmarks/catalog.py --report                 # only rewrite reports/catalog.md from reports/catalog/

Run it with the real libraries (torch 2.14.1, torchvision 0.29.1, timm), e.g. ``/work/tvenv/bin/python``; it uses
this checkout's archcost. Each torchvision model runs THROUGH THE CLI (``python -m archcost table torchvision:NAME
--format json``, one process each, ``--jobs`` at a time) in its published configuration and is compared with
torchvision's ``weights.meta["num_params"]`` and ``_ops`` (GMACs, to its printed 3 decimals) and with
``FlopCounterMode`` / 2 of the same forward (``_catalog_child.py reference``). timm's list goes through
``archcost.analyze("timm:NAME")`` in one process per share, each model beside ``sum(p.numel())`` and
``FlopCounterMode`` / 2. Raw results are JSON lines under ``reports/catalog/``; the report is rebuilt from them.
This script never imports torch itself.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _catalog_report import render  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "_catalog_child.py"
DATA = ROOT / "reports" / "catalog"
REPORT = ROOT / "reports" / "catalog.md"
PARTS = ("torchvision", "timm", "timm-cli")
CLI_TIMEOUT_S = 1200
TIMM_CLI_SAMPLE = 40


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=PARTS, help="run only this part (repeatable)")
    parser.add_argument("--limit", type=int, help="at most this many models per part (a quick partial run)")
    parser.add_argument("--names", help="comma-separated model names (torchvision and timm-cli parts)")
    parser.add_argument("--jobs", type=int, default=2, help="processes at a time (default 2)")
    parser.add_argument("--resume", action="store_true", help="keep models already in reports/catalog/")
    parser.add_argument("--report", action="store_true", help="only rewrite reports/catalog.md")
    parser.add_argument("--python", default=sys.executable, help="interpreter with torch, torchvision and timm")
    return parser.parse_args(argv)


def _env() -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", ARCHCOST_NO_CACHE="1", PYTHONWARNINGS="ignore")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _lines(python: str, *args: str) -> list[dict[str, Any]]:
    done = subprocess.run([python, str(CHILD), *args], capture_output=True, text=True, env=_env(), check=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _cli(python: str, spec: str) -> dict[str, Any]:
    """One ``archcost table SPEC --format json`` in its own process: its figures, or its one-line error."""
    command = [python, "-m", "archcost", "table", spec, "--format", "json"]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=CLI_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout: no result within {CLI_TIMEOUT_S} s", "seconds": CLI_TIMEOUT_S}
    record: dict[str, Any] = {"seconds": round(time.perf_counter() - started, 2), "exit": done.returncode}
    if done.returncode != 0:
        record["error"] = _last_line(done.stderr) or f"exit {done.returncode}"
        record["traceback"] = "Traceback" in done.stderr
        return record
    document = json.loads(done.stdout)
    record.update(params=document["totals"]["params"], macs=document["totals"]["macs"],
                  input_shape=document["input_shape"], uncounted=sorted(document.get("uncounted_ops") or {}),
                  provenance=document.get("provenance", {}))
    return record


def _write(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def _references(python: str, specs: list[str]) -> dict[str, dict[str, Any]]:
    """The FlopCounterMode references of every spec, from one child process (started at once, read at the end)."""
    if not specs:
        return {}
    done = subprocess.run([python, str(CHILD), "reference", *specs], capture_output=True, text=True, env=_env())
    found = {r["spec"]: r for r in map(json.loads, (line for line in done.stdout.splitlines() if line.startswith("{")))}
    missing = {"reference_error": _last_line(done.stderr) or f"reference process exit {done.returncode}"}
    return {spec: found.get(spec, missing) for spec in specs}


def _run_jobs(python: str, jobs: int, work: list[dict[str, Any]], path: Path, kept: list[dict[str, Any]]) -> None:
    """The CLI for each model, ``jobs`` at a time, beside one process computing every reference; the results file
    is rewritten as each CLI run finishes, and once more with the references."""
    records = list(kept)
    specs = [f"{e['package']}:{e['name']}" for e in work]
    with ThreadPoolExecutor(max_workers=jobs + 1) as pool:
        references = pool.submit(_references, python, specs)
        ran = []
        for entry, result in zip(work, pool.map(lambda spec: _cli(python, spec), specs)):
            ran.append({**entry, **result})
            _write(path, records + ran)
            print(f"{entry['kind']:12} {entry['name']:40} {result.get('seconds', 0):7.1f}s "
                  f"{result.get('error', 'ok')[:90]}", flush=True)
        found = references.result()
    _write(path, records + [{**r, **found[s]} for r, s in zip(ran, specs)])


def _select(entries: list[dict[str, Any]], options: argparse.Namespace, kept: list[dict[str, Any]]
            ) -> list[dict[str, Any]]:
    if options.names:
        wanted = set(options.names.split(","))
        entries = [e for e in entries if e["name"] in wanted]
    done = {r["name"] for r in kept}
    entries = [e for e in entries if e["name"] not in done]
    return entries[:options.limit] if options.limit is not None else entries


def run_torchvision(options: argparse.Namespace) -> None:
    path = DATA / "torchvision.jsonl"
    kept = _read(path) if options.resume else []
    entries = [{**e, "kind": "torchvision", "package": "torchvision"} for e in _lines(options.python,
                                                                                       "torchvision-list")]
    # Quantized models run int8 kernels (quantized::conv2d) that neither meta tensors nor the MAC rules cover, and
    # their weights publish the float model's figures: they are listed as out of scope, not run.
    out_of_scope = [dict(e, error="out of scope: a quantized (int8) model", status="out of scope")
                    for e in entries if e["family"] == "quantization"]
    kept = [r for r in kept if r.get("status") != "out of scope"] + out_of_scope
    work = _select([e for e in entries if e["family"] != "quantization"], options, kept)
    _run_jobs(options.python, options.jobs, work, path, kept)


def run_timm_cli(options: argparse.Namespace) -> None:
    path = DATA / "timm-cli.jsonl"
    kept = _read(path) if options.resume else []
    names = [e["name"] for e in _lines(options.python, "timm-list")]
    step = max(1, len(names) // TIMM_CLI_SAMPLE)  # evenly spread over the sorted list: every family
    sample = names if options.names else names[::step][:TIMM_CLI_SAMPLE]
    entries = [{"kind": "timm-cli", "package": "timm", "name": n} for n in sample]
    _run_jobs(options.python, options.jobs, _select(entries, options, kept), path, kept)


def _write_timm_size(python: str) -> None:
    """How long timm's list is, so that the report can say how much of it a partial run covered."""
    (DATA / "timm-list.json").write_text(json.dumps({"models": len(_lines(python, "timm-list"))}) + "\n")


def run_timm(options: argparse.Namespace) -> None:
    """timm's list in ``jobs`` processes, each one process for its share (``_catalog_child.py timm``)."""
    if not options.resume:
        for old in DATA.glob("timm.*-of-*.jsonl"):
            old.unlink()
    DATA.mkdir(parents=True, exist_ok=True)
    _write_timm_size(options.python)
    limit = [] if options.limit is None else [str(-(-options.limit // options.jobs))]
    started = time.perf_counter()
    children = [subprocess.Popen([options.python, str(CHILD), "timm", str(DATA / f"timm.{i}-of-{options.jobs}.jsonl"),
                                  f"{i}/{options.jobs}", *limit], env=_env(), cwd=ROOT)
                for i in range(options.jobs)]
    codes = [child.wait() for child in children]
    print(f"timm: {options.jobs} processes, exit {codes}, {time.perf_counter() - started:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    if not options.report:
        parts = options.only or list(PARTS)
        for part in parts:
            {"torchvision": run_torchvision, "timm": run_timm, "timm-cli": run_timm_cli}[part](options)
    command = "python benchmarks/catalog.py" + ("" if not argv else " " + " ".join(argv))
    REPORT.write_text(render(DATA, command, options.python))
    print(f"wrote {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
