"""One measurement in a fresh interpreter, started by ``analysis_speed.py``: ``python _speed_child.py SPEC_JSON``.

Kept apart from the harness and importing nothing but the standard library at module level, so that what a cold run
measures is the tool under test: interpreter start, its imports, building the model and counting it. The last line of
stdout is ``BENCH_RESULT {json}``; everything else (peers' chatter) is ignored by the parent.

Tools: ``torch`` (the baseline: ``import torch`` alone), ``archcost``, ``flop_counter``, ``ptflops``, ``thop``,
``torchinfo``, ``fvcore`` (one cold count each); ``warm`` (repeated in-process timings of archcost and
flop_counter on one prebuilt meta model, plus archcost's op-class breakdown that explains the peers' totals); ``zoo``
(every registered architecture analysed in one process).
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from typing import Any, Callable

RESULT_PREFIX = "BENCH_RESULT "


def _clock() -> float:
    return time.perf_counter()


def _emit(result: dict[str, Any]) -> None:
    # ru_maxrss is in KiB on Linux: the peak resident set of this process over its whole life.
    result["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.write("\n" + RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()


def _quiet() -> None:
    import warnings

    warnings.filterwarnings("ignore")


# --- cold counts: each returns (raw total, MACs by the tool's own documented convention, phases) --------------------


def _build(spec: dict[str, Any], device: str) -> tuple[Any, Any]:
    import archcost
    import torch

    model = archcost.build(spec["arch"], device=device, **spec["overrides"]).eval()
    return model, torch.zeros(spec["input"], device=device)


def _peer(spec: dict[str, Any], load: Callable[[], Any], count: Callable[[Any, Any, Any], float],
          macs_per_unit: float) -> dict[str, Any]:
    """Import the peer, build archcost's model on the peer's device, count; each phase timed on its own."""
    t0 = _clock()
    import archcost  # noqa: F401
    import torch

    module = load()
    t1 = _clock()
    model, example = _build(spec, spec["device"])
    t2 = _clock()
    with torch.no_grad():
        raw = count(module, model, example)
    t3 = _clock()
    return {"raw_total": raw, "macs": None if raw is None else raw * macs_per_unit,
            "phases_s": {"import": t1 - t0, "build": t2 - t1, "count": t3 - t2}}


def _archcost(spec: dict[str, Any]) -> dict[str, Any]:
    t0 = _clock()
    import archcost

    analyze = archcost.analyze  # resolving the attribute imports archcost.analysis, and with it torch
    t1 = _clock()
    analysis = analyze(spec["arch"], tuple(spec["input"]), **spec["overrides"])
    t2 = _clock()
    macs = analysis.totals["macs"]
    return {"raw_total": macs, "macs": macs, "phases_s": {"import": t1 - t0, "build+count": t2 - t1}}


def _flop_counter(module: Any, model: Any, example: Any) -> float:
    counter = module.FlopCounterMode(display=False)
    with counter:
        model(example)
    return counter.get_total_flops()


def _ptflops(module: Any, model: Any, example: Any) -> float | None:
    # input_res excludes the batch dimension; the aten backend creates the input on the parameters' device.
    macs, _params = module.get_model_complexity_info(model, tuple(example.shape[1:]), as_strings=False,
                                                     print_per_layer_stat=False, verbose=False, backend="aten")
    return macs


def _thop(module: Any, model: Any, example: Any) -> float:
    macs, _params = module.profile(model, inputs=(example,), verbose=False)
    return float(macs)


def _torchinfo(module: Any, model: Any, example: Any) -> float:
    stats = module.summary(model, input_size=tuple(example.shape), device=example.device, verbose=0)
    return float(stats.total_mult_adds)


def _fvcore(module: Any, model: Any, example: Any) -> float:
    analysis = module.FlopCountAnalysis(model, example)
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
    return float(analysis.total())


def _load(name: str) -> Callable[[], Any]:
    def load() -> Any:
        import importlib

        return importlib.import_module(name)

    return load


# Each peer: its module, its count, and how many MACs one unit of its total is (its documented convention).
PEERS: dict[str, tuple[str, Callable[[Any, Any, Any], Any], float]] = {
    "flop_counter": ("torch.utils.flop_counter", _flop_counter, 0.5),  # 2 FLOPs per MAC
    "ptflops": ("ptflops", _ptflops, 1.0),  # reports MACs ("GMac")
    "thop": ("thop", _thop, 1.0),  # reports MACs
    "torchinfo": ("torchinfo", _torchinfo, 1.0),  # "Mult-Adds"
    "fvcore": ("fvcore.nn", _fvcore, 1.0),  # one fused multiply-add = one "flop"
}


# --- warm timings and the breakdown ---------------------------------------------------------------------------------

_BIAS_OPS = frozenset({"convolution", "_convolution", "addmm", "baddbmm"})
_POOL_OPS = frozenset({"mean", "_adaptive_avg_pool2d", "_adaptive_avg_pool3d", "adaptive_avg_pool1d"})
_BATCH_NORM_OPS = frozenset({"native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training",
                             "cudnn_batch_norm", "miopen_batch_norm"})


def breakdown(analysis: Any, batch: int) -> dict[str, int]:
    """archcost's counts split into the pieces that peers count differently (see ``_speed_harness.PEER_RULES``)."""
    from archcost.counting.conventions import counts_in
    from archcost.counting.opclass import Convention, OpClass

    parts = dict.fromkeys(("macs", "bias_adds", "batch_norm", "other_norm", "module_global_pool", "avg_pool_divs",
                           "fvcore_ops", "batchnorm_params_x_batch"), 0)
    types = [row["type"] for row in analysis.rows]
    for record in analysis.records:
        for term in record.terms or ():
            cls, op = term.op_class, record.op
            if cls is OpClass.MACS:
                parts["macs"] += term.count
            elif cls is OpClass.ADDS and op in _BIAS_OPS:
                parts["bias_adds"] += term.count
            elif cls is OpClass.NORM:
                parts["batch_norm" if op in _BATCH_NORM_OPS else "other_norm"] += term.count
            # Module-hook tools see a pool only when an AdaptiveAvgPool module ran it, never a functional mean.
            if op in _POOL_OPS and types[record.module].startswith("AdaptiveAvgPool"):
                parts["module_global_pool"] += term.count
            if op in ("avg_pool2d", "avg_pool3d") and cls is OpClass.DIVS:
                parts["avg_pool_divs"] += term.count
            if counts_in(Convention.FVCORE, op, term):
                parts["fvcore_ops"] += term.count
    parts["batchnorm_params_x_batch"] = batch * sum(row["own_params"] for row in analysis.rows
                                                    if "BatchNorm" in row["type"])
    for key in ("adds", "muls", "cmps", "divs", "exps", "norm"):
        parts[f"class_{key}"] = analysis.totals[key]
    return parts


def _warm(spec: dict[str, Any]) -> dict[str, Any]:
    """Median in-process times after one warm-up, archcost and flop_counter interleaved so drift hits both alike."""
    import archcost
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    model = archcost.build(spec["arch"], device="meta", **spec["overrides"]).eval()
    shape = tuple(spec["input"])
    example = torch.zeros(shape, device="meta")

    def ours() -> Any:
        return archcost.analyze(model, shape)

    import archcost.analysis as engine

    def uncached() -> None:
        # analyze(name) on meta keeps recent analyses; emptying that cache times the build and count themselves.
        cache = getattr(engine, "_CACHE", None)
        if cache is not None:
            cache.clear()

    def ours_by_name() -> Any:
        uncached()
        return archcost.analyze(spec["arch"], shape, **spec["overrides"])

    def ours_repeated() -> Any:
        return archcost.analyze(spec["arch"], shape, **spec["overrides"])  # the previous call filled the cache

    def theirs() -> Any:
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            model(example)
        return counter.get_total_flops()

    # Order matters: ours_repeated follows ours_by_name, whose result it finds in the cache.
    timed: dict[str, Callable[[], Any]] = {"archcost": ours, "archcost_by_name": ours_by_name,
                                           "archcost_repeated": ours_repeated, "flop_counter": theirs}
    samples: dict[str, list[float]] = {k: [] for k in timed}
    first: dict[str, float] = {}
    for key, fn in timed.items():
        t = _clock()
        fn()
        first[key] = _clock() - t
    for _ in range(spec["reps"]):
        for key, fn in timed.items():
            t = _clock()
            fn()
            samples[key].append(_clock() - t)
    analysis = ours()
    return {
        "first_s": first,
        "median_s": {k: statistics.median(v) for k, v in samples.items()},
        "min_s": {k: min(v) for k, v in samples.items()},
        "reps": spec["reps"],
        "breakdown": breakdown(analysis, shape[0]),
        "params": analysis.totals["params"],
        "archcost_has_cache": hasattr(engine, "_CACHE"),
        "uncounted_ops": analysis.uncounted_ops,
    }


def _zoo(spec: dict[str, Any]) -> dict[str, Any]:
    t0 = _clock()
    import archcost
    from archcost.zoo.registry import list_architectures

    analyze = archcost.analyze
    t1 = _clock()
    per_model: dict[str, float] = {}
    failed: dict[str, str] = {}
    for name in list_architectures():
        t = _clock()
        try:
            analyze(name)
        except Exception as error:  # one broken entry must not hide the others' times
            failed[name] = f"{type(error).__name__}: {str(error)[:120]}"
        per_model[name] = _clock() - t
    t2 = _clock()
    return {"import_s": t1 - t0, "total_s": t2 - t1, "per_model_s": per_model, "failed": failed}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    tool = spec["tool"]
    _quiet()
    if tool == "torch":
        t = _clock()
        import torch  # noqa: F401

        result: dict[str, Any] = {"phases_s": {"import": _clock() - t}}
    elif tool == "archcost":
        result = _archcost(spec)
    elif tool == "warm":
        result = _warm(spec)
    elif tool == "zoo":
        result = _zoo(spec)
    elif tool in PEERS:
        module_name, count, macs_per_unit = PEERS[tool]
        result = _peer(spec, _load(module_name), count, macs_per_unit)
    else:
        raise SystemExit(f"unknown tool {tool!r}")
    result["tool"] = tool
    _emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
