"""Train-mode analysis time against inference analysis time, per zoo network, in one process (issue 15: <= 2x).

    python benchmarks/train_speed.py --threads 1 --repeats 5 resnet18 mobilenet-v2 efficientnet-b0 googlenet

Each analysis runs ``--repeats`` times with the in-process result cache emptied before each (so every run traces);
the figure is the ratio of the medians, train / inference, measured in the same run (never an absolute time). The
inference analysis copies a repeated block's ops (replay); the training step traces every op, forward, backward and
optimizer, so deep networks of one repeated block pay the most.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's archcost

DEFAULT = ["resnet20", "resnet18", "resnet50", "mobilenet-v2", "efficientnet-b0", "googlenet", "vgg16"]


def median_seconds(call, repeats: int) -> float:
    from archcost import cache

    times = []
    for _ in range(repeats):
        cache.MEMORY.clear()
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("networks", nargs="*", default=DEFAULT)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--optimizer", default="adam")
    args = parser.parse_args()
    import torch

    import archcost

    torch.set_num_threads(args.threads)
    print(f"{'network':<18} {'inference s':>12} {'train s':>10} {'train/inference':>16}")
    worst = 0.0
    for name in args.networks:
        archcost.analyze(name)  # warm-up: imports, the first build
        archcost.analyze(name, mode="train", optimizer=args.optimizer)
        inference = median_seconds(lambda: archcost.analyze(name), args.repeats)
        train = median_seconds(lambda: archcost.analyze(name, mode="train", optimizer=args.optimizer),
                               args.repeats)
        worst = max(worst, train / inference)
        print(f"{name:<18} {inference:>12.3f} {train:>10.3f} {train / inference:>16.2f}")
    print(f"worst ratio {worst:.2f} (issue 15 asks <= 2); medians of {args.repeats}, --threads {args.threads}, "
          f"optimizer {args.optimizer}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
