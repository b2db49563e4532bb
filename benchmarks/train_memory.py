"""Predicted peak training memory against the measured peak of one real training step (issue 15).

Each network runs in its own process (a fresh heap): on CPU the measure is the resident-set growth over building
the model, its Adam optimizer and one step (VmHWM - VmRSS, archcost.timing.device.MemoryTracker); on CUDA, when
available, torch.cuda.max_memory_allocated. The prediction is archcost.training.memory.training_memory on meta.
The ratio measured / predicted is reported; writes reports/benchmarks/train_memory.md (temp file + rename).

    python benchmarks/train_memory.py [--device cpu|cuda] [--out reports/benchmarks/train_memory.md]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

# (network, batch): small enough for one real CPU step in seconds, one ResNet, Inception and EfficientNet each.
CASES = (("resnet20", 64), ("resnet18", 8), ("googlenet-fmnist", 32), ("efficientnet-b0", 4))


def _child(name: str, batch: int, device: str) -> dict:
    import torch

    from archcost.timing.device import BenchDevice, MemoryTracker
    from archcost.training.memory import training_memory
    from archcost.zoo.registry import get
    from archcost.zoo.resolve import build

    torch.set_num_threads(1)
    shape = (batch, *get(name).input_shape)
    predicted = training_memory(build(name), torch.empty(shape, device="meta"), optimizer="adam")
    tracker = MemoryTracker(BenchDevice.CUDA if device == "cuda" else BenchDevice.CPU)
    x = torch.randn(shape, device=device)
    tracker.start()
    model = build(name, device=device).train()
    optimizer = torch.optim.Adam(model.parameters(), foreach=False)
    out = model(x)
    out = out[0] if isinstance(out, (tuple, list)) else out
    torch.nn.functional.cross_entropy(out, torch.zeros(batch, dtype=torch.int64, device=device)).backward()
    optimizer.step()
    return {"name": name, "batch": batch, "device": device, "measured_bytes": tracker.peak_bytes(),
            "measure": tracker.kind, **{k: v for k, v in predicted.to_dict().items() if k.endswith("_bytes")
                                        and isinstance(v, int)}}


def _run(name: str, batch: int, device: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", name, str(batch), "--device", device],
                          check=False, capture_output=True, text=True, timeout=900, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if done.returncode != 0:
        return {"name": name, "batch": batch, "device": device, "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout)


def _markdown(rows: list[dict], device: str) -> str:
    lines = [f"# Predicted peak training memory against one real step ({device})", "",
             "Written by `python benchmarks/train_memory.py --device " + device + "`. Adam, float32, cross-entropy "
             "loss; each network in a fresh process, one thread. Predicted: `training_memory` traced on meta "
             "(parameters + gradients + Adam state + saved activations + the largest backward transient). "
             "Measured: " + ("resident-set growth (VmHWM - VmRSS) over building the model and one step"
                             if device == "cpu" else "torch.cuda.max_memory_allocated over the step") + ".", "",
             ("| network | batch | saved activations (MB) | predicted peak (MB) | measured peak (MB) | "
              "measured / predicted |"), "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r or not r.get("measured_bytes"):
            lines.append(f"| {r['name']} | {r['batch']} | | | not measured: {r.get('error') or r.get('measure')} | |")
            continue
        lines.append(f"| {r['name']} | {r['batch']} | {r['saved_activation_bytes'] / 1e6:,.1f} | "
                     f"{r['peak_train_bytes'] / 1e6:,.1f} | {r['measured_bytes'] / 1e6:,.1f} | "
                     f"{r['measured_bytes'] / r['peak_train_bytes']:.2f} |")
    lines += ["", ("The prediction is the memory live at the start of the backward (see TrainMemory's docstring); "
                   "it is not an upper bound of what a process holds. A measured ratio above 1 is what the "
                   "prediction leaves out: the forward's temporaries that nothing saves, freed as the forward runs "
                   "but live at the same time as the saved ones, the model's own initialisation, allocator slack "
                   "and oneDNN scratch on CPU. The exact equality is tested for the saved-activation bytes "
                   "(tests/training/test_memory_saved.py), not for the peak.")]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--out", type=Path, default=Path("reports/benchmarks/train_memory.md"))
    parser.add_argument("--child", nargs=2, metavar=("NAME", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child[0], int(args.child[1]), args.device)))
        return 0
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            print("train_memory: CUDA is not available here; skipped (run with --device cpu)", file=sys.stderr)
            return 0
    rows = []
    for name, batch in CASES:
        rows.append(_run(name, batch, args.device))
        print(json.dumps(rows[-1]), file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temp = args.out.with_suffix(".tmp")
    temp.write_text(_markdown(rows, args.device))
    temp.replace(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
