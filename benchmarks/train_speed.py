"""Train-mode analysis time against inference analysis time, per zoo network, in one process (issue 15: <= 2x).

    python benchmarks/train_speed.py --threads 1 --repeats 5 resnet18 mobilenet-v2 efficientnet-b0 googlenet

Each analysis runs ``--repeats`` times and the figures are ratios of medians measured in the same run (never an
absolute time). Two settings:

- **warm**: every run traces (analyses are not kept in the process); what a process keeps across requests stays
  (traced optimizer steps), as in a session of many requests;
- **cold**: every process store is emptied before each run (``cache.forget()``), as for the first request of a fresh process (after ``import torch``).

``torch floor`` is what torch itself
takes, without archcost: one forward and backward of the model on meta under a dispatch mode that only builds outputs
(archcost's shape-only kernels, no counting), over one forward under the same mode. A traced training
step cannot take less than that ratio of a traced forward, whatever the counting costs. ``torch train forward`` is
the forward of that step alone (train mode, autograd recording the graph, no backward) over the same bare forward:
what torch spends before the backward starts.

``no backward`` bounds any faster backward engine from below: the warm train-mode analysis with ``loss.backward()``
made a no-op for the measurement (so no gradient exists and the optimizer updates nothing), over the warm inference analysis. It is what the rest of a training step's analysis costs: the
train-mode forward with its graph and saved-tensor notes, the memory and the columns. Its figures are never used.

The disk store is off for all of the above (``ARCHCOST_NO_CACHE=1``), so ``cold`` keeps nothing anywhere.
``--fresh`` adds what a user of the command line waits for: one new Python process per analysis (``import torch``
included), the median wall time of a train-mode analysis with an empty cache folder and with the optimizer steps an
earlier process kept on disk (archcost/cache.py), over an inference analysis's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's archcost

DEFAULT = ["resnet20", "resnet18", "resnet50", "resnet110", "preact-resnet164", "resnext50-32x4d", "mobilenet-v2",
           "efficientnet-b0", "googlenet", "inception-resnet-v1", "highway-cifar-20", "alexnet-owt", "vgg16"]


def median_seconds(call: Callable[[], object], repeats: int, *, cold: bool) -> float:
    from archcost import cache

    times = []
    for _ in range(repeats):
        if cold:
            cache.forget()
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(name: str, optimizer: str, repeats: int) -> dict[str, float]:
    import archcost

    archcost.analyze(name)  # warm-up: imports, the first build, the process stores
    archcost.analyze(name, mode="train", optimizer=optimizer)

    def inference() -> object:
        return archcost.analyze(name)

    def train() -> object:
        return archcost.analyze(name, mode="train", optimizer=optimizer)

    found = {}
    for label, cold in (("warm", False), ("cold", True)):
        base = median_seconds(inference, repeats, cold=cold)
        found[f"{label} inference s"] = base
        found[f"{label} train/inf"] = median_seconds(train, repeats, cold=cold) / base
    found["no backward"] = without_backward(train, repeats) / found["warm inference s"]
    found["torch floor"], found["torch train forward"] = torch_floor(name, repeats)
    return found


def without_backward(train: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``train`` with the backward a no-op (a bound: see the docstring); restored afterwards."""
    import torch

    from archcost import cache

    backward = torch.Tensor.backward
    torch.Tensor.backward = lambda self, *args, **kwargs: None  # type: ignore[method-assign]
    try:
        train()
        return median_seconds(train, repeats, cold=False)
    finally:
        torch.Tensor.backward = backward  # type: ignore[method-assign]
        cache.forget()  # nothing these runs kept outlives the measurement


def torch_floor(name: str, repeats: int) -> tuple[float, float]:
    """Bare forward+backward over bare forward, and bare train-mode forward (graph recorded) over bare forward, on
    meta, under a mode that only builds outputs."""
    import torch

    import archcost
    from archcost.counting import meta_kernels
    from archcost.torch_compat import TorchDispatchMode
    from archcost.zoo.registry import get

    class Bare(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            kwargs = kwargs or {}
            out = meta_kernels.run(func.overloadpacket.__name__, args, kwargs) if "out" not in kwargs else None
            return out if out is not None else func(*args, **kwargs)

    model = archcost.build(name)
    for m in model.modules():
        m.__dict__.pop("survival_probability", None)  # stochastic depth: every block runs, as archcost counts
    x = torch.empty((1, *(getattr(model, "native_input", None) or get(name).input_shape)), device="meta")

    def forward() -> None:
        model.eval()
        with torch.no_grad(), Bare():
            model(x)

    def step() -> None:
        model.train()
        with Bare():
            out = model(x)
            (out[0] if isinstance(out, (tuple, list)) else out).sum().backward()
        for p in model.parameters():
            p.grad = None

    def train_forward() -> None:
        model.train()
        with Bare():
            model(x)  # the output and its graph are dropped here

    def median(call: Callable[[], None]) -> float:
        call()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    base = median(forward)
    return median(step) / base, median(train_forward) / base


_FRESH = "import sys, archcost; archcost.analyze(sys.argv[1], **({'mode': 'train', 'optimizer': sys.argv[3]} " \
         "if sys.argv[2] == 'train' else {}))"


def fresh_process(name: str, optimizer: str, repeats: int) -> dict[str, float]:
    """Median wall seconds of one analysis in a new process: inference; train with an empty cache folder; train
    with the optimizer steps of an earlier process on disk."""
    root = str(Path(__file__).resolve().parent.parent)

    def wall(mode: str, folder: str | None) -> float:
        env = {**os.environ, "PYTHONPATH": root}
        env.pop("ARCHCOST_NO_CACHE", None)
        with tempfile.TemporaryDirectory() as empty:
            env["ARCHCOST_CACHE_DIR"] = folder or empty
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", _FRESH, name, mode, optimizer], check=True, env=env)
            return time.perf_counter() - start

    def median(mode: str, folder: str | None) -> float:
        return statistics.median(wall(mode, folder) for _ in range(repeats))

    with tempfile.TemporaryDirectory() as kept:
        wall("train", kept)  # fills the folder's optimizer steps
        return {"inference s": median("inference", None), "train s": median("train", None),
                "train, steps on disk s": median("train", kept)}


def print_fresh(networks: list[str], optimizer: str, repeats: int) -> None:
    print("\n| network | fresh inference s | fresh train s | train/inf | steps on disk: train s | train/inf |")
    print("|---|---|---|---|---|---|")
    for name in networks:
        f = fresh_process(name, optimizer, repeats)
        base = f["inference s"]
        print(f"| {name} | {base:.2f} | {f['train s']:.2f} | {f['train s'] / base:.2f} | "
              f"{f['train, steps on disk s']:.2f} | {f['train, steps on disk s'] / base:.2f} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("networks", nargs="*", default=DEFAULT)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--fresh", nargs="*", metavar="NETWORK", default=None,
                        help="also time analyses in new processes (see above): these networks, or all when none")
    args = parser.parse_args()
    os.environ["ARCHCOST_NO_CACHE"] = "1"  # this process: nothing on disk (the --fresh children set their own)
    import torch

    torch.set_num_threads(args.threads)
    columns = ["warm inference s", "warm train/inf", "cold inference s", "cold train/inf", "no backward",
               "torch floor", "torch train forward"]
    print("| network | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    worst = {"warm": 0.0, "cold": 0.0}
    for name in args.networks:
        found = measure(name, args.optimizer, args.repeats)
        worst = {k: max(v, found[f"{k} train/inf"]) for k, v in worst.items()}
        cells = [f"{found[c]:.3f}" if c.endswith(" s") else f"{found[c]:.2f}" for c in columns]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    print(f"\nworst train/inference ratio: warm {worst['warm']:.2f}, cold {worst['cold']:.2f} (issue 15 asks <= 2); "
          f"medians of {args.repeats}, --threads {args.threads}, optimizer {args.optimizer}")
    if args.fresh is not None:
        print_fresh(args.fresh or args.networks, args.optimizer, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
