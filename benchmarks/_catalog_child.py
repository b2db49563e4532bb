"""Child processes of ``benchmarks/catalog.py`` (each prints JSON lines; the parent never imports torch).

    python benchmarks/_catalog_child.py torchvision-list        # every torchvision model, family, published figures
    python benchmarks/_catalog_child.py timm-list               # timm.list_models()
    python benchmarks/_catalog_child.py reference SPEC...       # FlopCounterMode / 2 and sum(p.numel()) of each
    python benchmarks/_catalog_child.py timm OUT.jsonl SHARD/N  # archcost.analyze("timm:NAME") for a share of the
                                                                # list, in this one process, each beside its reference

The reference is independent of archcost's counting: the model in its published configuration (the builder
``archcost.zoo.external`` gives: DEFAULT weights' arguments, nothing loaded), its parameters summed, one forward of
zeros at the native input under ``torch.utils.flop_counter.FlopCounterMode`` (2 per MAC). On meta when the model
builds and runs there; otherwise on CPU, weights initialised with seed 0 (a data-dependent forward: detection).
"""

from __future__ import annotations

import json
import signal
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's archcost, not an installed one
warnings.filterwarnings("ignore")

TIMM_TIMEOUT_S = 300


def one_line(error: BaseException) -> str:
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {first}"[:300]


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"no result within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def torchvision_list() -> None:
    from torchvision import models

    for name in models.list_models():
        builder = models.get_model_builder(name)
        parts = builder.__module__.split(".")
        weights = models.get_model_weights(name).DEFAULT
        print(json.dumps({"name": name, "family": parts[2] if len(parts) > 3 else "classification",
                          "weights": f"{type(weights).__name__}.{weights.name}",
                          "published_params": weights.meta.get("num_params"),
                          "published_gmacs": weights.meta.get("_ops")}))


def timm_list() -> None:
    import timm

    for name in timm.list_models():
        print(json.dumps({"name": name}))


def _forward_macs(model: Any, shapes: list[tuple[int, ...]], device: str) -> int:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    inputs = [torch.zeros(s, device=device) for s in shapes]
    # FlopCounterMode's module tracker hooks the backward of any output that requires grad, and trips over a
    # parameter fed straight into a submodule (CaiT's class token) even under no_grad; the counts do not change.
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(*inputs)
    flops = counter.get_total_flops()
    assert flops % 2 == 0, f"FlopCounterMode counted an odd {flops} FLOPs"
    return flops // 2


def reference(spec: str, shapes: list[tuple[int, ...]] | None = None) -> dict[str, Any]:
    """sum(p.numel()) and FlopCounterMode / 2 of one forward of SPEC at its native input (or ``shapes``)."""
    import torch

    from archcost.zoo.resolve import resolve

    resolved = resolve(spec)
    shapes = shapes or [tuple(s) for s in resolved.example_shapes or ()]
    record: dict[str, Any] = {"reference_shapes": [list(s) for s in shapes]}
    try:
        with torch.device("meta"):
            model = resolved.builder().eval()
        record["reference_params"] = sum(p.numel() for p in model.parameters())
        record["reference_macs"] = _forward_macs(model, shapes, "meta")
        record["reference_device"] = "meta"
        return record
    except Exception as error:  # a builder computing with tensors, or a forward that needs data
        record["reference_meta_error"] = one_line(error)
    torch.manual_seed(0)
    model = resolved.builder().eval()
    record["reference_params"] = sum(p.numel() for p in model.parameters())
    record["reference_macs"] = _forward_macs(model, shapes, "cpu")
    record["reference_device"] = "cpu (seed 0)"
    return record


def reference_main(specs: list[str]) -> None:
    """One JSON line per spec, in this one process (an interpreter and its imports per model would cost more)."""
    import gc

    for spec in specs:
        started = time.perf_counter()
        try:
            with time_limit(TIMM_TIMEOUT_S * 2):
                record = reference(spec)
        except Exception as error:
            record = {"reference_error": one_line(error)}
        record.update(spec=spec, reference_seconds=round(time.perf_counter() - started, 2))
        print(json.dumps(record), flush=True)
        gc.collect()


def _timm_one(name: str) -> dict[str, Any]:
    import archcost

    record: dict[str, Any] = {"kind": "timm", "name": name}
    started = time.perf_counter()
    try:
        with time_limit(TIMM_TIMEOUT_S):
            analysis = archcost.analyze(f"timm:{name}")
        record.update(params=analysis.totals["params"], macs=analysis.totals["macs"],
                      input_shape=list(analysis.input_shape), uncounted=sorted(analysis.uncounted_ops),
                      input_source=analysis.provenance.get("input_source"))
    except BaseException as error:  # noqa: BLE001  (a failure of one model is a line of the report)
        if isinstance(error, KeyboardInterrupt):
            raise
        record["error"] = one_line(error)
    record["seconds"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    try:
        with time_limit(TIMM_TIMEOUT_S):
            record.update(reference(f"timm:{name}"))
    except BaseException as error:  # noqa: BLE001
        if isinstance(error, KeyboardInterrupt):
            raise
        record["reference_error"] = one_line(error)
    record["reference_seconds"] = round(time.perf_counter() - started, 3)
    return record


def timm_main(out: str, shard: str) -> None:
    import gc

    import timm

    index, count = (int(v) for v in shard.split("/"))
    done = set()
    path = Path(out)
    if path.exists():  # resumable: a model already written is not analysed again
        done = {json.loads(line)["name"] for line in path.read_text().splitlines() if line.strip()}
    names = [n for n in timm.list_models()[index::count] if n not in done]
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else None
    with path.open("a") as sink:
        for name in names[:limit]:
            sink.write(json.dumps(_timm_one(name)) + "\n")
            sink.flush()
            gc.collect()


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "torchvision-list":
        torchvision_list()
    elif command == "timm-list":
        timm_list()
    elif command == "reference":
        reference_main(sys.argv[2:])
    elif command == "timm":
        timm_main(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f"unknown command {command!r}")
