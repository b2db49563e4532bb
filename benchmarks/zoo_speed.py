"""Issue 22's speed criteria: archcost against torch's FlopCounterMode on every zoo network, and cold CLI runs
against an earlier commit.

    python benchmarks/zoo_speed.py --threads 1 --repeats 5               # the whole zoo, ~15 min on 2 shared cores
    python benchmarks/zoo_speed.py resnet18 googlenet --cli-runs 3       # a few networks

In this one process, at ``--threads`` threads, each network is built once on meta (its own instance, as a user's
model is analysed) and timed warm in CPU seconds of this process, ``--repeats`` samples of each call (a sample of a
call shorter than 50 ms averages as many calls as fill 50 ms), the four calls interleaved so that drift hits them
alike:

- ``archcost.analyze(model, shape)`` against FlopCounterMode counting the same instance's forward on meta
  (no_grad, eval mode);
- ``archcost.analyze(model, shape, mode="train")`` (forward, loss, backward, sgd step) against FlopCounterMode
  counting the same instance's forward (train mode), loss (cross-entropy for [N, C] logits, else a sum, as archcost
  forms it) and backward on meta.

Then cold CLI commands (``--help``, ``table`` with the result cache off), each a fresh process, alternating between
this checkout and a copy of ``--old`` (``git archive`` into a temporary folder, run with PYTHONPATH pointing at it).
Writes ``reports/benchmarks/zoo-speed.md`` with PASS/FAIL lines; every ratio is of medians from the same run.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the helper modules beside this script

from _speed_harness import bytecode_env, command_line, median, publish, run_child  # noqa: E402
from _zoo_speed_report import CliTimes, NetworkTimes, render  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "reports" / "benchmarks" / "zoo-speed.md"
SAMPLE_S = 0.05  # a timed sample lasts at least this long: tiny networks are timed over several calls
CLI = {"archcost --help": ["--help"],
       "archcost table googlenet --format json (result cache off)": ["table", "googlenet", "--format", "json"]}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("networks", nargs="*", help="zoo networks (default: every registered one)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each call after one warm-up")
    parser.add_argument("--old", default="b4bb47d", help="the commit the cold CLI runs are compared with")
    parser.add_argument("--cli-runs", type=int, default=7, help="fresh runs of each CLI command and tree (0: none)")
    parser.add_argument("--cli-only", action="store_true", help="no network: only the cold command-line runs")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    return parser.parse_args(argv)


def _cpu_seconds(call: Callable[[], Any], times: int = 1) -> float:
    """CPU seconds of this process per call, over ``times`` calls. CPU, not wall: on a shared machine the other
    processes preempt this one for whole scheduler slices (milliseconds), which would swamp a network that is
    analysed in one or two milliseconds; at one thread CPU time is the wall time of an idle machine."""
    start = time.process_time()
    for _ in range(times):
        call()
    return (time.process_time() - start) / times


def _loss(output: Any) -> Any:
    import torch
    import torch.nn.functional as F

    out = output[0] if isinstance(output, (tuple, list)) else output
    if out.dim() == 2:
        return F.cross_entropy(out, out.new_zeros(out.shape[0], dtype=torch.int64))
    return out.sum()


def _calls(model: Any, shape: tuple[int, ...]) -> dict[str, Callable[[], Any]]:
    """The four timed calls on one instance; FlopCounterMode's train step leaves the model as it found it (eval
    mode, no gradients), so every call starts from the same state."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    import archcost

    example = torch.zeros(shape, device="meta")

    def flop_counter_forward() -> int:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(example)
        return counter.get_total_flops()

    def flop_counter_step() -> int:
        model.train()
        try:
            with FlopCounterMode(display=False) as counter:
                _loss(model(example)).backward()
        finally:
            model.eval()
            for p in model.parameters():
                p.grad = None
        return counter.get_total_flops()

    return {"archcost": lambda: archcost.analyze(model, shape),
            "flop_counter": flop_counter_forward,
            "archcost train": lambda: archcost.analyze(model, shape, mode="train", optimizer="sgd"),
            "flop_counter forward+backward": flop_counter_step}


def _input_shape(name: str) -> tuple[int, ...]:
    import archcost
    from archcost.zoo.registry import get

    return (1, *(getattr(archcost.build(name), "native_input", None) or get(name).input_shape))


def time_network(name: str, repeats: int) -> NetworkTimes:
    """Median CPU seconds of each call on one meta instance of ``name``, after one untimed warm-up of each; a
    sample of a call shorter than SAMPLE_S is the mean of as many calls as fill it."""
    import archcost

    shape = _input_shape(name)
    model = archcost.build(name, device="meta").eval()
    calls = _calls(model, shape)
    first = {key: _cpu_seconds(call) for key, call in calls.items()}
    times = {key: max(1, math.ceil(SAMPLE_S / max(seconds, 1e-6))) for key, seconds in first.items()}
    samples: dict[str, list[float]] = {key: [] for key in calls}
    for _ in range(repeats):
        for key, call in calls.items():
            samples[key].append(_cpu_seconds(call, times[key]))
    return NetworkTimes(name, "x".join(map(str, shape)), first,
                        {key: statistics.median(values) for key, values in samples.items()})


def _old_tree(commit: str, into: str) -> Path:
    """A copy of ``commit``'s files (git archive: no worktree is registered in the repository)."""
    archive = Path(into) / "old.tar"
    with open(archive, "wb") as out:
        subprocess.run(["git", "archive", commit], cwd=ROOT, stdout=out, check=True)
    tree = Path(into) / "old"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def time_cli(old: str, runs: int) -> list[CliTimes]:
    """Each CLI command in fresh processes, this checkout and ``old`` alternating, after one untimed run of each
    (which compiles both trees into one bytecode cache, as after a pip install, and warms the file cache)."""
    script = str(Path(sys.executable).parent / "archcost")
    found = []
    with tempfile.TemporaryDirectory(prefix="archcost-zoo-speed-") as work:
        trees = {"this checkout": ROOT, old: _old_tree(old, work)}
        env = dict(bytecode_env(os.environ, "cached", os.path.join(work, "pycache")), ARCHCOST_NO_CACHE="1")
        log = os.path.join(work, "cli.log")
        for label, arguments in CLI.items():
            times: dict[str, list[tuple[float, float]]] = {tree: [] for tree in trees}
            for run in range(runs + 1):
                for tree, path in trees.items():
                    outcome = run_child([script, *arguments], timeout_s=120, memory_cap_bytes=16 * 10**9,
                                        log_path=log, expect_result=False, env=dict(env, PYTHONPATH=str(path)))
                    if not outcome.ok:
                        raise SystemExit(f"{label} failed in {tree}: {outcome.status} {outcome.error}")
                    if run:  # the first run of each is untimed
                        times[tree].append((outcome.wall_s or 0.0, outcome.cpu_s or 0.0))
            found.append(CliTimes(label, {tree: (median(w for w, _ in ts) or 0.0, median(c for _, c in ts) or 0.0)
                                          for tree, ts in times.items()}))
            sys.stderr.write(f"{label}: {found[-1].medians}\n")
    return found


def _machine(args: argparse.Namespace) -> dict[str, str]:
    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    return {"date (UTC)": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"), "CPU": cpu,
            "cores": str(os.cpu_count()), "Python": platform.python_version(), "torch": torch.__version__,
            "archcost": head.strip(), "threads": str(args.threads), "repeats": str(args.repeats),
            "load average at start (1/5/15 min)": "{:.2f} / {:.2f} / {:.2f}".format(*os.getloadavg())}


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    os.environ["ARCHCOST_NO_CACHE"] = "1"  # nothing read from or written to the disk store
    import torch

    from archcost.zoo.registry import list_architectures

    torch.set_num_threads(args.threads)
    machine = _machine(args)
    networks = []
    for name in [] if args.cli_only else args.networks or list_architectures():
        networks.append(time_network(name, args.repeats))
        sys.stderr.write(networks[-1].line() + "\n")
    cli = time_cli(args.old, args.cli_runs) if args.cli_runs else []
    machine["load average at end (1/5/15 min)"] = "{:.2f} / {:.2f} / {:.2f}".format(*os.getloadavg())
    command = command_line("zoo_speed.py", argv if argv is not None else sys.argv[1:])
    publish(args.out, render(machine, networks, cli, command=command, old=args.old))
    return 0


if __name__ == "__main__":
    sys.exit(main())
