"""Train-mode analysis time against inference analysis time, and what the training step's meta kernels buy
(archcost/counting/meta_kernels_train.py; issue 22 keeps them only if they pay).

    python benchmarks/train_speed.py --threads 1 --repeats 5 --cold-runs 3

**Warm**, in this one process: each network is built once on meta and the same instance analysed
``--repeats`` times (after one untimed warm-up; CPU seconds of the process) for inference, in train mode (sgd) with the training kernels, and in
train mode without them (their names taken out of the kernel table and training batch norm left to torch, so every
training op goes to torch's own meta implementation); the three interleaved so that drift hits them alike.

**Cold**, in fresh processes: the first train-mode analysis of a process (``archcost.analyze(name, mode="train")``,
imports done before the clock starts), with and without the kernels, alternating; the wall and CPU seconds of that
call (CPU is less disturbed by other work on a shared machine). torch loads most of its Python meta implementations
on their first call, which a cold run pays and a warm one does not.

The disk store is off throughout (ARCHCOST_NO_CACHE=1). Writes ``reports/benchmarks/train_speed.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the helper modules beside this script

from _speed_harness import command_line, median, publish  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "reports" / "benchmarks" / "train_speed.md"
WARM = ["resnet20", "resnet18", "resnet50", "resnet110", "preact-resnet164", "resnext50-32x4d", "mobilenet-v2",
        "efficientnet-b0", "googlenet", "inception-resnet-v1", "highway-cifar-20", "alexnet-owt", "vgg16",
        "resnet1202"]
COLD = ["resnet18", "mobilenet-v2", "efficientnet-b0", "googlenet", "resnet110", "vgg16"]
# Issue 22: the training kernels stay if they save at least this share of a warm train-mode analysis, or this many
# seconds of a cold one.
PAYS_SHARE, PAYS_COLD_S = 0.10, 0.3


@contextlib.contextmanager
def without_training_kernels() -> Iterator[None]:
    """Every training-step op left to torch's meta implementation for the duration; the tables restored after."""
    from archcost.counting import meta_kernels, meta_kernels_train

    taken = {name: meta_kernels.KERNELS.pop(name) for name in meta_kernels_train.KERNELS}
    batch_norm = meta_kernels_train.batch_norm_training
    meta_kernels_train.batch_norm_training = lambda args, kwargs: None  # type: ignore[assignment]
    try:
        yield
    finally:
        meta_kernels.KERNELS.update(taken)
        meta_kernels_train.batch_norm_training = batch_norm  # type: ignore[assignment]


def _timed(call: Any) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _cpu_seconds(call: Any) -> float:
    """CPU seconds of this process (one thread): other processes on a shared machine preempt the wall clock, not
    this."""
    start = time.process_time()
    call()
    return time.process_time() - start


def warm(name: str, repeats: int) -> dict[str, float]:
    """Median CPU seconds: inference, train with the kernels, train without, on one meta instance."""
    import archcost
    from archcost.zoo.registry import get

    shape = (1, *(getattr(archcost.build(name), "native_input", None) or get(name).input_shape))
    model = archcost.build(name, device="meta").eval()

    def inference() -> Any:
        return archcost.analyze(model, shape)

    def train() -> Any:
        return archcost.analyze(model, shape, mode="train", optimizer="sgd")

    def train_without() -> Any:
        with without_training_kernels():
            return train()

    calls = {"inference": inference, "train": train, "train without": train_without}
    for call in calls.values():
        call()
    samples: dict[str, list[float]] = {key: [] for key in calls}
    for _ in range(repeats):
        for key, call in calls.items():
            samples[key].append(_cpu_seconds(call))
    return {key: statistics.median(values) for key, values in samples.items()}


def _child(name: str, kernels: str) -> None:
    """One cold first train-mode analysis in this fresh process; prints its seconds as the last line."""
    import torch

    import archcost

    torch.set_num_threads(1)
    context = without_training_kernels() if kernels == "off" else contextlib.nullcontext()
    cpu = time.process_time()
    with context:
        seconds = _timed(lambda: archcost.analyze(name, mode="train", optimizer="sgd"))
    print(json.dumps({"s": seconds, "cpu_s": time.process_time() - cpu}))


def cold(name: str, runs: int) -> dict[str, tuple[float, float]]:
    """Median (wall s, CPU s) of the first train-mode analysis of a fresh process, kernels on and off."""
    times: dict[str, list[tuple[float, float]]] = {"on": [], "off": []}
    env = dict(os.environ, ARCHCOST_NO_CACHE="1", OMP_NUM_THREADS="1")
    for _ in range(runs):
        for kernels in times:
            done = subprocess.run([sys.executable, __file__, "--child", name, kernels], env=env, check=True,
                                  capture_output=True, text=True)
            found = json.loads(done.stdout.strip().splitlines()[-1])
            times[kernels].append((found["s"], found["cpu_s"]))
    return {k: (median(w for w, _ in v) or 0.0, median(c for _, c in v) or 0.0) for k, v in times.items()}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("networks", nargs="*", default=WARM, help="warm networks (default: %(default)s)")
    parser.add_argument("--cold", nargs="*", default=COLD, help="cold networks (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cold-runs", type=int, default=3, help="fresh processes per network and setting (0: none)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--child", nargs=2, metavar=("NETWORK", "on|off"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    os.environ["ARCHCOST_NO_CACHE"] = "1"
    if args.child:
        _child(*args.child)
        return 0
    import torch

    from _train_speed_report import render

    torch.set_num_threads(args.threads)
    load_start = os.getloadavg()
    warm_found = {}
    for name in args.networks:
        warm_found[name] = warm(name, args.repeats)
        sys.stderr.write(f"{name}: {warm_found[name]}\n")
    cold_found = {}
    for name in args.cold if args.cold_runs else []:
        cold_found[name] = cold(name, args.cold_runs)
        sys.stderr.write(f"{name} cold: {cold_found[name]}\n")
    command = command_line("train_speed.py", argv if argv is not None else sys.argv[1:])
    publish(args.out, render(warm_found, cold_found, command=command, loads=(load_start, os.getloadavg()),
                             torch_version=torch.__version__, args=args, pays=(PAYS_SHARE, PAYS_COLD_S)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
