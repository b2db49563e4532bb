"""How fast and how lean is archcost's analysis, beside torch.utils.flop_counter, ptflops, thop, torchinfo and fvcore?

    python benchmarks/analysis_speed.py            # the full fixed set (issue 7), ~10-25 min on 2 cores
    python benchmarks/analysis_speed.py --quick    # googlenet, resnet50-v1.5, vgg16@224

Every (tool, model) is a fresh interpreter (``_speed_child.py``): cold wall time as the parent sees it, peak RSS from
wait4, phases from inside. One more process per model times archcost and flop_counter warm, in process, and
records archcost's op-class breakdown that explains each peer's total. Writes
``reports/benchmarks/analysis-speed.md`` and prints it, with issue 7's checks as PASS/FAIL lines. Peers are optional
(``pip install -e '.[peers]'``): missing ones are named and skipped. The script never imports torch itself.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the helper modules beside this script

from _speed_checks import Results, all_checks, summarise  # noqa: E402
from _speed_harness import (  # noqa: E402
    CASES,
    PEER_RULES,
    QUICK_LABELS,
    Case,
    Outcome,
    available_peers,
    bytecode_env,
    command_line,
    publish,
    run_child,
    write_whole,
)
from _speed_report import render  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "_speed_child.py"
DEFAULT_OUT = ROOT / "reports" / "benchmarks" / "analysis-speed.md"
CLI_COMMANDS = {  # "python" is the floor: an interpreter that starts and exits
    "python -c pass": None,
    "archcost --help": ["--help"],
    "archcost list": ["list"],
    # With no result cache every run imports torch and analyses; with a warm one (filled by the untimed first run,
    # in a folder of the benchmark's own) a fresh process reads the document and never imports torch.
    "archcost table googlenet --format json (empty result cache)": ["table", "googlenet", "--format", "json"],
    "archcost table googlenet --format json (result cache warm)": ["table", "googlenet", "--format", "json"],
}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK_LABELS)}; fewer repetitions")
    parser.add_argument("--cases", help="comma-separated case labels (default: the fixed set): "
                        + ", ".join(c.label for c in CASES))
    parser.add_argument("--tools", help="comma-separated peers to run (default: every installed one): "
                        + ", ".join(PEER_RULES))
    parser.add_argument("--repeat", type=int, default=1, help="cold runs per (tool, model); the median is shown")
    parser.add_argument("--warm-reps", type=int, default=5, help="warm repetitions after one warm-up")
    parser.add_argument("--cli-runs", type=int, default=5, help="fresh runs of each CLI command")
    parser.add_argument("--zoo-runs", type=int, default=3, help="fresh processes that each analyse the whole zoo")
    parser.add_argument("--timeout-s", type=float, default=120.0, help="wall limit of one cold process")
    parser.add_argument("--memory-cap-gb", type=float, default=16.0, help="resident-memory limit of one process")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown report (default: %(default)s)")
    parser.add_argument("--json", type=Path, help="also write the raw measurements as JSON")
    parser.add_argument("--python", default=sys.executable, help="interpreter of the children (default: this one)")
    parser.add_argument("--bytecode", choices=("cached", "as-is"), default="cached",
                        help="cached (default): every package, archcost included, runs from compiled bytecode kept "
                        "in a cache outside the tree, as after a pip install; as-is: this environment untouched "
                        "(PYTHONDONTWRITEBYTECODE=1 makes an editable archcost recompile its sources in every process)")
    args = parser.parse_args(argv)
    if args.quick:
        args.warm_reps = min(args.warm_reps, 3)
        args.cli_runs = min(args.cli_runs, 3)
        args.zoo_runs = min(args.zoo_runs, 1)
    return args


def _read(path: str, key: str) -> str:
    from archcost.timing.procfs import proc_field  # torch-free

    return proc_field(path, key) or "unknown"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _machine() -> dict[str, Any]:
    memory_kib = _read("/proc/meminfo", "MemTotal").split()[0]
    dirty = " (with uncommitted changes)" if _git("status", "--porcelain", "--untracked-files=no") else ""
    return {
        "date (UTC)": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "CPU": _read("/proc/cpuinfo", "model name"),
        "cores": os.cpu_count(),
        "memory": f"{int(memory_kib) / 2**20:.1f} GiB" if memory_kib.isdigit() else "unknown",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "torch": _version("torch"),
        "archcost": f"{_version('archcost')} at {_git('rev-parse', '--short', 'HEAD') or '?'}{dirty}",
        "peers": ", ".join(f"{p} {_version(p)}" for p in ("fvcore", "ptflops", "thop", "torchinfo")),
        "PYTHONDONTWRITEBYTECODE in this shell": os.environ.get("PYTHONDONTWRITEBYTECODE", "unset"),
        "load average at start (1/5/15 min)": "{:.2f} / {:.2f} / {:.2f}".format(*os.getloadavg()),
    }


PYCACHE = Path(tempfile.gettempdir()) / "archcost-benchmark-pycache"  # kept between runs; stale entries recompile


class Runner:
    def __init__(self, args: argparse.Namespace, logs: str) -> None:
        self.args, self.logs, self.count = args, logs, 0
        self.env = bytecode_env(os.environ, args.bytecode, str(PYCACHE))

    def child(self, label: str, spec: str, *, timeout_s: float | None = None) -> Outcome:
        self.count += 1
        sys.stderr.write(f"[{self.count:3d}] {label:<40} ")
        sys.stderr.flush()
        outcome = run_child([self.args.python, str(CHILD), spec], timeout_s=timeout_s or self.args.timeout_s,
                            memory_cap_bytes=int(self.args.memory_cap_gb * 1e9),
                            log_path=os.path.join(self.logs, f"{self.count}.log"), env=self.env)
        wall = f"{outcome.wall_s:.2f} s" if outcome.wall_s is not None else ""
        rss = f"{outcome.maxrss_kib / 1024:.0f} MiB" if outcome.maxrss_kib else ""
        sys.stderr.write(f"{outcome.status:<8} {wall:>10} {rss:>10} {outcome.error}\n")
        return outcome

    def command(self, argv: list[str], label: str) -> Outcome:
        env = dict(self.env, ARCHCOST_NO_CACHE="1")
        if "result cache warm" in label:
            env.pop("ARCHCOST_NO_CACHE")
            env["ARCHCOST_CACHE_DIR"] = os.path.join(self.logs, "result-cache")
        return run_child(argv, timeout_s=60, memory_cap_bytes=int(self.args.memory_cap_gb * 1e9),
                         log_path=os.path.join(self.logs, "cli.log"), expect_result=False, env=env)

    def warm_up(self, tools: list[str], case: Case, chw: tuple[int, int, int], devices: dict[str, str]) -> None:
        """Untimed: compile archcost into the bytecode cache, then run every tool once, so that no measured run
        pays for a first compilation or a cold file cache that the others were spared."""
        if self.args.bytecode == "cached":
            package = Path(__file__).resolve().parent.parent / "archcost"
            subprocess.run([self.args.python, "-m", "compileall", "-q", str(package)], env=self.env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        self.child("warm-up: import torch", json.dumps({"tool": "torch"}))
        for tool in tools:
            self.child(f"warm-up: {tool} {case.label}", case.spec(tool, chw, device=devices[tool]))


def _archcost_command() -> list[str]:
    script = Path(sys.executable).parent / "archcost"
    return [str(script)] if script.exists() else [sys.executable, "-m", "archcost"]


def _cases(args: argparse.Namespace) -> list[Case]:
    wanted = QUICK_LABELS if args.quick and not args.cases else (args.cases.split(",") if args.cases else None)
    if wanted is None:
        return list(CASES)
    known = {c.label: c for c in CASES}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise SystemExit(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    return [known[w] for w in wanted]


def measure(args: argparse.Namespace) -> Results:
    from archcost.zoo import registry  # torch-free

    available, missing = available_peers(importlib.util.find_spec)
    if args.tools:
        chosen = args.tools.split(",")
        unknown = [t for t in chosen if t not in PEER_RULES]
        if unknown:
            raise SystemExit(f"unknown peer(s) {', '.join(unknown)}; choose from {', '.join(PEER_RULES)}")
        available = [p for p in available if p in chosen]
    cases = _cases(args)
    known = set(registry.list_architectures())
    machine = _machine()
    machine["bytecode (--bytecode)"] = {"cached": f"cached: compiled once under {PYCACHE}, as after a pip install",
                                        "as-is": "as-is: this shell's environment"}[args.bytecode]
    results = Results(machine=machine, cases=[], tools=["archcost", *available], missing_peers=missing,
                      devices={"archcost": "meta", **{p: PEER_RULES[p].device for p in available}})
    if missing:
        sys.stderr.write(f"peers not installed, skipped: {', '.join(missing)} (pip install -e '.[peers]')\n")
    with tempfile.TemporaryDirectory(prefix="archcost-speed-") as logs:
        runner = Runner(args, logs)
        first = next((c for c in cases if c.arch in known), None)
        if first is not None:
            runner.warm_up(results.tools, first, first.input_chw or registry.get(first.arch).input_shape,
                           results.devices)
        for _ in range(3):
            results.baseline.append(runner.child("import torch (baseline)", json.dumps({"tool": "torch"})))
        _measure_cases(runner, cases, known, results, args)
        results.zoo = [runner.child(f"zoo in one process ({run + 1}/{args.zoo_runs})", json.dumps({"tool": "zoo"}),
                                    timeout_s=600) for run in range(args.zoo_runs)]
        _measure_cli(runner, results, args)
    results.machine["load average at end (1/5/15 min)"] = "{:.2f} / {:.2f} / {:.2f}".format(*os.getloadavg())
    return results


def _measure_cases(runner: Runner, cases: list[Case], known: set[str], results: Results,
                   args: argparse.Namespace) -> None:
    """Every (tool, model) cold, ``--repeat`` times, then archcost and flop_counter warm in one process per model."""
    from archcost.zoo import registry  # torch-free

    for case in cases:
        if case.arch not in known:
            results.unregistered[case.label] = case.arch
            sys.stderr.write(f"      {case.label}: {case.arch} is not registered, skipped\n")
            continue
        chw = case.input_chw or registry.get(case.arch).input_shape
        results.cases.append(case.label)
        results.inputs[case.label] = "x".join(map(str, chw))
        runs: dict[str, list[Outcome]] = {tool: [] for tool in results.tools}
        for _ in range(args.repeat):
            for tool in results.tools:
                spec = case.spec(tool, chw, device=results.devices[tool])
                runs[tool].append(runner.child(f"{tool} {case.label}", spec))
        for tool, outcomes in runs.items():
            results.cold[(case.label, tool)] = summarise(outcomes)
        results.warm[case.label] = runner.child(f"warm {case.label}", case.spec("warm", chw, reps=args.warm_reps),
                                                timeout_s=4 * args.timeout_s)


def _measure_cli(runner: Runner, results: Results, args: argparse.Namespace) -> None:
    """The CLI commands' wall and CPU times, after one untimed run of each."""
    base = _archcost_command()
    for label, arguments in CLI_COMMANDS.items():
        argv = [args.python, "-c", "pass"] if arguments is None else base + arguments
        runner.command(argv, label)  # one untimed run: the file cache is warm for every command alike
        walls, cpus = [], []
        for _ in range(args.cli_runs):
            outcome = runner.command(argv, label)
            if not outcome.ok or outcome.wall_s is None or outcome.cpu_s is None:
                results.cli_failures[label] = f"{outcome.status} {outcome.error}"
                break
            walls.append(outcome.wall_s)
            cpus.append(outcome.cpu_s)
        results.cli_s[label], results.cli_cpu_s[label] = walls, cpus
        sys.stderr.write(f"      {label}: {', '.join(f'{w:.3f}' for w in walls)} s\n")


def _as_json(results: Results) -> str:
    data = asdict(results)
    data["cold"] = {f"{case}|{tool}": value for (case, tool), value in data["cold"].items()}
    return json.dumps(data, indent=1, default=str)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    started = time.perf_counter()
    results = measure(args)
    results.machine["benchmark wall time"] = f"{time.perf_counter() - started:.0f} s"
    checks = all_checks(results)
    command = command_line("analysis_speed.py", argv if argv is not None else sys.argv[1:])
    limits = {"timeout_s": args.timeout_s, "memory_cap_gb": args.memory_cap_gb, "repeat": args.repeat}
    publish(args.out, render(results, checks, command=command, limits=limits))
    if args.json:
        write_whole(args.json, _as_json(results))
    sys.stderr.write(f"wrote {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
