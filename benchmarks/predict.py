"""Issue 24's check of the latency model: measure and predict many networks, fitting nothing on them.

    python benchmarks/predict.py                      # the zoo (+ torchvision and timm samples where installed)
    /work/clients/bin/python benchmarks/predict.py    # the clients environment: torchvision and timm too
    python benchmarks/predict.py --quick              # a dozen small networks
    python benchmarks/predict.py --report-only        # the report again from the saved measurements
    python benchmarks/predict.py --set unseen         # plain-PyTorch networks of kinds users bring (predict-unseen.md)

1. A device profile is measured first (archcost profile's microbenchmarks, at --threads), or read (--profile FILE):
   the only input of the model; no parameter is fitted on the networks below.
2. Every network is predicted by ``analyze(..., predict=profile)`` and timed by archcost's benchmark harness (one
   thread, batch 1 and 8 in the same run; batch 8 only for networks of at most --batch8-max-gmacs GMACs at batch 1,
   to keep the run within minutes on 2 cores), in --rounds round-robin rounds of three warm-up calls and --runs timed
   calls: a network's figure is the median of its round medians, so a burst of other work on a shared machine
   lands on one round of every network rather than on all the calls of one.
   --timing isolated times each round in a fresh Python process (as ``archcost bench --isolate``); --timing both
   times it both ways in the same rounds and reports the same predictions against each.
3. Reported: median absolute error, shares within ±10 % and ±20 %, Spearman rank correlation, for the model and for
   the best MACs-only power law (least squares in log-log, fitted on these very networks: the baseline to beat),
   per batch; the chart; the machine's load average. Measurements are kept in a JSON beside the report, written as
   they come, so a run cut short still reports what it measured.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUICK = ["resnet20", "resnet56", "mobilenet-v2", "efficientnet-b0", "googlenet", "resnet18", "alexnet-owt",
         "inception-bottleneck", "highway-cifar-20", "preact-resnet110", "mobilenet-v1", "resnext50-32x4d"]
TORCHVISION = ["resnet18", "mobilenet_v3_small", "mobilenet_v3_large", "shufflenet_v2_x1_0", "squeezenet1_1",
               "densenet121", "regnet_y_400mf", "regnet_x_800mf", "mnasnet1_0", "efficientnet_v2_s", "convnext_tiny",
               "swin_t", "vit_b_32", "wide_resnet50_2", "inception_v3"]
TIMM = ["deit_tiny_patch16_224", "mixer_s32_224", "resmlp_12_224", "ghostnet_100", "lcnet_050", "mobilevit_xxs",
        "tf_efficientnet_lite0", "rexnet_100", "hrnet_w18_small", "cspresnet50", "dla34"]
OVERHEAD_NETWORKS = ("googlenet", "resnet50", "efficientnet-b0")
WARMUP = 2  # warm-up calls before the harness's own window of one: the third call is the first without new pages
_TIMED = {"isolated": "each network timed in a fresh Python process every round",
          "both": "each network timed in a fresh Python process every round (and in this process, kept beside)",
          "in-process": "every network timed in the benchmark's one long process"}
CRITERIA = {"median_abs_error": 0.10, "within_20": 0.80, "spearman": 0.95, "baseline_ratio": 2.0}


def _networks(args: argparse.Namespace) -> list[str]:
    import archcost

    if args.networks:
        return args.networks
    if args.set == "unseen":
        from unseen_networks import UNSEEN

        return list(UNSEEN)
    if args.quick:
        return QUICK
    names = list(archcost.list_architectures())
    try:
        import torchvision  # noqa: F401

        names += [f"torchvision:{n}" for n in TORCHVISION]
    except ImportError:
        pass
    try:
        import timm  # noqa: F401

        names += [f"timm:{n}" for n in TIMM]
    except ImportError:
        pass
    return names


def _profile(args: argparse.Namespace, log: Any) -> dict[str, Any]:
    if args.profile:
        from archcost.predict.profile import load

        return load(Path(args.profile))
    from archcost.predict.measure import measure_profile

    began = time.perf_counter()
    document = measure_profile(device=args.device, threads=args.threads, dtype="float32")
    log(f"profile measured in {time.perf_counter() - began:.0f} s")
    return document


def _target(arch: str) -> tuple[Any, str | None]:
    """What analyze() and the harness are given for a row's name: the name itself (native input), or for an unseen
    network (benchmarks/unseen_networks.py, not in any registry) a fresh instance and its per-sample input shape."""
    if not arch.startswith("unseen:"):
        return arch, None
    from unseen_networks import UNSEEN

    model, shape = UNSEEN[arch]()
    return model, "x".join(map(str, shape))


def _predict(arch: str, profile: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    """One network's rows, one per batch measured: MACs and the prediction (batch 8 only for the lighter ones)."""
    import archcost

    target, shape = _target(arch)
    first = archcost.analyze(target, shape, batch=1, predict=profile)
    analyses = [first] + ([archcost.analyze(target, shape, batch=8, predict=profile)]
                          if first.totals["macs"] <= args.batch8_max_gmacs * 1e9 else [])
    return [{"arch": arch, "batch": a.input_shape[0], "macs": a.totals["macs"],
             "memory_bytes": a.totals["memory_bytes"], "predicted_ms": a.totals["predicted_ms"],
             "bound": a.totals["predicted_bound"]} for a in analyses]


def _time(arch: str, rows: list[dict[str, Any]], args: argparse.Namespace, isolate: bool) -> None:
    """One round of the harness on one network's batches: three warm-up calls (WARMUP, then the harness's one
    window), then ``--runs`` timed calls each. One warm-up call was too few: a freshly built model's first two
    forwards still fault in new pages (torchvision's MobileNet-v2 at one thread: 5.9 MB, then 4.8 MB, then none;
    21.3 ms on its second call, 18.8 ms from its third), so a round's median held its second call. ``isolate``: the
    round runs in a fresh Python process (as ``archcost bench --isolate``), so what the networks timed before left
    behind in this long process (allocator state, oneDNN caches) cannot slow it; its figures go to ``round_ms``,
    the in-process ones to ``in_process_round_ms``."""
    from archcost.timing.harness import run
    from archcost.timing.settings import BenchDevice, BenchSettings

    target, shape = _target(arch)
    settings = BenchSettings(device=BenchDevice(args.device), threads=args.threads, warmup=WARMUP, window=1, min_time_s=0.0, min_runs=args.runs,
                             max_warmup_s=0.0, isolate=isolate, input_shape=shape)
    report = run([target], batches=[r["batch"] for r in rows], settings=settings)
    if report.failures:
        raise RuntimeError(report.failures[0].get("error", "measurement failed"))
    prefix = "" if isolate or args.timing == "in-process" else "in_process_"
    for row, result in zip(rows, report.results, strict=True):
        row.setdefault(f"{prefix}round_ms", []).append(result["median_ms"])
        row.setdefault(f"{prefix}round_min_ms", []).append(result["min_ms"])
    _summarise(rows)


def _summarise(rows: list[dict[str, Any]]) -> None:
    """A network's figures: the median of its round medians and its fastest call, for each way it was timed."""
    from statistics import median

    for row in rows:
        for prefix in ("", "in_process_"):
            if row.get(f"{prefix}round_ms"):
                row[f"{prefix}measured_ms"] = median(row[f"{prefix}round_ms"])
                row[f"{prefix}min_ms"] = min(row[f"{prefix}round_min_ms"])


def _ablate(data: dict[str, Any]) -> None:
    """Every row predicted again by the kernels alone (the profile's in-network factor removed): what the factor
    fitted on generated networks does, shown beside the model in the report. Nothing is fitted."""
    import copy

    import archcost

    import torch

    torch.set_num_threads(data["threads"])  # as measured: the profile's thread count (no warning)
    profile = copy.deepcopy(data["profile"])
    profile["model"]["in_network_factors"] = None
    for row in data["rows"]:
        target, shape = _target(row["arch"])
        analysis = archcost.analyze(target, shape, batch=row["batch"], predict=profile)
        row["predicted_kernels_only_ms"] = analysis.totals["predicted_ms"]


def _predict_overhead(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """What predicting adds to an analysis: analyze() with and without predict=, best of three each."""
    import archcost

    rows = []
    for arch in OVERHEAD_NETWORKS:
        times = {}
        for label, extra in (("plain", {}), ("predict", {"predict": profile})):
            best = float("inf")
            for _ in range(3):
                began = time.perf_counter()
                archcost.analyze(arch, **extra)
                best = min(best, time.perf_counter() - began)
            times[label] = best
        rows.append({"arch": arch, "analysis_s": times["plain"], "with_predict_s": times["predict"]})
    return rows


def _ways(timing: str) -> tuple[bool, ...]:
    """The ways each network is timed in a round, as ``isolate`` flags: "both" times it in this process first, then
    in a fresh one, so the two meet the same moment of the machine's load."""
    return {"isolated": (True,), "in-process": (False,), "both": (False, True)}[timing]


def _collect(args: argparse.Namespace, data_path: Path, log: Any) -> dict[str, Any]:
    """Predict every network, then time them all in ``--rounds`` round-robin rounds: a network's figure is the
    median of its round medians, so a burst of the machine's other work lands on one round, not one network."""
    import torch

    torch.set_num_threads(args.threads)
    data: dict[str, Any] = {"load_before": os.getloadavg(), "threads": args.threads, "device": args.device,
                            "rounds": args.rounds,
                            "timing": args.timing, "rows": [], "failures": []}
    data["profile"] = _profile(args, log)
    data["predict_overhead"] = _predict_overhead(data["profile"])
    networks: dict[str, list[dict[str, Any]]] = {}
    for arch in _networks(args):
        try:
            networks[arch] = _predict(arch, data["profile"], args)
        except Exception as error:  # noqa: BLE001  (one line per network that cannot run; the run goes on)
            data["failures"].append({"arch": arch, "error": f"{type(error).__name__}: {str(error)[:200]}"})
    began = time.perf_counter()
    for round_ in range(1, args.rounds + 1):
        for i, (arch, rows) in enumerate(list(networks.items()), start=1):
            try:
                for isolate in _ways(args.timing):
                    _time(arch, rows, args, isolate)
            except Exception as error:  # noqa: BLE001
                data["failures"].append({"arch": arch, "error": f"{type(error).__name__}: {str(error)[:200]}"})
                del networks[arch]
                continue
            log(f"round {round_} [{i}] {arch}: " + ", ".join(
                f"b{r['batch']} {r['round_ms'][-1]:.2f} ms" + (f" (in process {r['in_process_round_ms'][-1]:.2f})"
                                                               if r.get("in_process_round_ms") else "")
                + f", predicted {r['predicted_ms']:.2f}" for r in rows))
        data["rows"] = [r for rows in networks.values() for r in rows]
        data["seconds"] = time.perf_counter() - began
        data["load_after"] = os.getloadavg()
        data_path.write_text(json.dumps(data, indent=1))
    return data


def _figures(rows: list[dict[str, Any]], key: str = "measured_ms") -> dict[str, Any]:
    from archcost.predict.accuracy import power_law, power_law_ms, summary

    measured = [r[key] for r in rows]
    fit = power_law([r["macs"] for r in rows], measured)
    for r in rows:
        r["macs_only_ms" if key == "measured_ms" else f"macs_only_{key}"] = power_law_ms(fit, r["macs"])
    if key != "measured_ms":
        return {"model": summary([r["predicted_ms"] for r in rows], measured),
                "baseline": summary([r[f"macs_only_{key}"] for r in rows], measured), "fit": fit}
    model = summary([r["predicted_ms"] for r in rows], measured)
    baseline = summary([r["macs_only_ms"] for r in rows], measured)
    figures = {"model": model, "baseline": baseline, "fit": fit}
    if all("predicted_kernels_only_ms" in r for r in rows):
        figures["kernels_only"] = summary([r["predicted_kernels_only_ms"] for r in rows], measured)
    return figures


def _scale_line(rows: list[dict[str, Any]]) -> str:
    """The model's common scale error apart from its spread: the median predicted/measured ratio, and the geometric
    standard deviation of that ratio beside the MACs-only law's (whose median ratio is 1 by its fit)."""
    from statistics import median, pstdev

    def spread(key: str) -> float:
        return math.exp(pstdev([math.log(r[key] / r["measured_ms"]) for r in rows]))

    line = (f"Median predicted / measured: {median(r['predicted_ms'] / r['measured_ms'] for r in rows):.2f}; spread "
            f"(geometric SD of that ratio): model {spread('predicted_ms'):.2f}x, MACs-only {spread('macs_only_ms'):.2f}x")
    if all("predicted_kernels_only_ms" in r for r in rows):
        line += (f", kernels alone {spread('predicted_kernels_only_ms'):.2f}x (median ratio "
                 f"{median(r['predicted_kernels_only_ms'] / r['measured_ms'] for r in rows):.2f})")
    return line + ". " + _unscaled_line(rows)


def _unscaled_line(rows: list[dict[str, Any]]) -> str:
    """How much of the error is the common scale: the model's figures with its median ratio divided out. A
    diagnostic only (that one number is taken from these networks), never one of the criteria."""
    from statistics import median

    from archcost.predict.accuracy import summary

    scale = median(r["predicted_ms"] / r["measured_ms"] for r in rows)
    figures = summary([r["predicted_ms"] / scale for r in rows], [r["measured_ms"] for r in rows])
    return (f"Divided by that median ratio (a diagnostic: one number taken from these networks, not a criterion), "
            f"the model's median absolute error would be {100 * figures['median_abs_error']:.1f} %, "
            f"{100 * figures['within_20']:.0f} % within ±20 %.")


def _verdict(figures: dict[str, Any]) -> list[str]:
    model, baseline = figures["model"], figures["baseline"]
    ratio = baseline["median_abs_error"] / model["median_abs_error"] if model["median_abs_error"] else float("inf")
    checks = [("median absolute error <= 10 %", model["median_abs_error"] <= CRITERIA["median_abs_error"],
               f"{100 * model['median_abs_error']:.1f} %"),
              ("at least 80 % within ±20 %", model["within_20"] >= CRITERIA["within_20"],
               f"{100 * model['within_20']:.0f} %"),
              ("Spearman >= 0.95", model["spearman"] >= CRITERIA["spearman"], f"{model['spearman']:.3f}"),
              ("MACs-only power law beaten 2x on median error", ratio >= CRITERIA["baseline_ratio"], f"{ratio:.2f}x")]
    return [f"- {'PASS' if ok else 'FAIL'}: {name} ({value})" for name, ok, value in checks]


def _table(figures: dict[str, Any]) -> list[str]:
    lines = ["| predictor | networks | median abs error | within ±10 % | within ±20 % | Spearman |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, key in (("archcost latency model (profile only)", "model"),
                       ("the same, kernels alone: no in-network factors (ablation)", "kernels_only"),
                       ("MACs-only power law (fitted on these networks)", "baseline")):
        if key not in figures:
            continue
        f = figures[key]
        lines.append(f"| {label} | {f['count']} | {100 * f['median_abs_error']:.1f} % | {100 * f['within_10']:.0f} % | "
                     f"{100 * f['within_20']:.0f} % | {f['spearman']:.3f} |")
    return lines


def _twins(rows: list[dict[str, Any]]) -> list[str]:
    """Networks of exactly the same MACs timed far apart in this run: the machine's noise floor (the model predicts
    them alike; so does any MACs-based figure)."""
    groups: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["batch"], int(r["macs"])), []).append(r)
    found = [g for g in groups.values() if len(g) > 1 and max(r["measured_ms"] for r in g) >
             1.3 * min(r["measured_ms"] for r in g)]
    if not found:
        return []
    lines = ["## Same MACs, measured apart", "",
             "Networks of exactly the same MACs (the same convolutions in the same order; pre-activation variants "
             "move batch norm and ReLU) that this run timed far apart: the shared machine's noise, which no "
             "prediction can follow:", ""]
    for group in found:
        lines.append("- batch " + str(group[0]["batch"]) + ": " + ", ".join(
            f"{r['arch']} {r['measured_ms']:.1f} ms (predicted {r['predicted_ms']:.1f})" for r in group))
    return lines + [""]


def _timings(rows: list[dict[str, Any]]) -> list[str]:
    """With ``--timing both``: the same profile's predictions against each network timed in this long process and
    in a fresh one, in the same rounds."""
    from statistics import median

    from archcost.predict.accuracy import summary

    if not all(r.get("in_process_measured_ms") for r in rows):
        return []
    lines = ["## Timed in a fresh process against in this process", "",
             "Each network was timed in every round twice, first in this benchmark's long process, then in a fresh "
             "Python process (`archcost bench --isolate`); the figures above are the fresh process's. The same "
             "predictions against both:", "",
             "| batch | timed | networks | median abs error | within ±20 % | Spearman | median predicted / measured |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for batch in sorted({r["batch"] for r in rows}):
        chosen = [r for r in rows if r["batch"] == batch]
        for label, key in (("in this process", "in_process_measured_ms"), ("fresh process", "measured_ms")):
            f = summary([r["predicted_ms"] for r in chosen], [r[key] for r in chosen])
            ratio = median(r["predicted_ms"] / r[key] for r in chosen)
            lines.append(f"| {batch} | {label} | {f['count']} | {100 * f['median_abs_error']:.1f} % | "
                         f"{100 * f['within_20']:.0f} % | {f['spearman']:.3f} | {ratio:.2f} |")
    ratio = median(r["measured_ms"] / r["in_process_measured_ms"] for r in rows)
    return lines + ["", f"Median fresh / in-process time over all rows: {ratio:.3f}.", ""]


def _report(data: dict[str, Any], out: Path, chart: Path) -> str:
    from archcost.plots.figures import render
    from archcost.plots.predicted_data import predicted_chart

    profile, rows = data["profile"], data["rows"]
    lines = ["# Latency prediction: predicted against measured (issue 24)", "",
             f"Generated by `benchmarks/predict.py` on {profile['machine'].get('name')} "
             f"({profile['machine'].get('logical_cpus')} logical CPUs), torch {profile['torch']}, "
             f"device {data.get('device', 'cpu')}, {data['threads']} CPU thread(s), float32, {data.get('rounds', 1)} round-robin round(s) of three warm-up "
             "calls and timed calls per network (its figure: the median of its round medians), "
             f"{_TIMED[data.get('timing', 'in-process')]}. Load average (1, 5, 15 min) before the run: "
             f"{', '.join(f'{v:.2f}' for v in data['load_before'])}; after: "
             f"{', '.join(f'{v:.2f}' for v in data.get('load_after', data['load_before']))}. The machine was shared "
             "with other work during the run, so measured medians include its interference.", "",
             f"The model's only input is the device profile, measured by the same microbenchmarks as `archcost "
             f"profile` (peak {2 * profile['model']['peak_macs_per_s'] / 1e9:.1f} GFLOP/s, copy bandwidth "
             f"{profile['model']['bandwidth_bytes_per_s'] / 1e9:.1f} GB/s); nothing is fitted on the networks "
             "below. The profile's two numbers fitted on whole networks, its in-network factors, come from "
             "networks it generates itself (see the last section). The baseline is the best MACs-only power law, "
             "fitted on these very networks per batch size.", ""]
    points = []
    for batch in sorted({r["batch"] for r in rows}):
        chosen = [r for r in rows if r["batch"] == batch]
        if len(chosen) < 3:
            continue
        figures = _figures(chosen)
        points += chosen
        a, b = figures["fit"]
        lines += [f"## Batch {batch}: {len(chosen)} networks", "", *_table(figures), "",
                  f"MACs-only fit: ms = {2.718281828 ** a:.3g} x MACs^{b:.3f}.", "", _scale_line(chosen), "",
                  "Issue 24's criteria:" if batch == 1 else "The same criteria at this batch:", "",
                  *_verdict(figures), "",
                  "Against each network's fastest run instead of its median (less of the shared machine's load "
                  "in it; the baseline refitted on those times):", "", *_table(_figures(chosen, "min_ms")), ""]
    if points:
        chart.write_bytes(render(predicted_chart(data), "png"))
        lines += [f"![predicted against measured]({chart.name})", ""]
    lines += _twins(rows)
    lines += _timings(rows)
    lines += ["## What the model leaves out (known from this machine)", "",
              "- New pages, charged only for outputs of at least 32 MiB. glibc raises its mmap threshold to the "
              "size of each mapped block freed, up to 32 MiB, so in a warm forward smaller outputs are recycled "
              "heap memory: timed op by op at one thread, ResNet-18's and MobileNet-v2's layers showed no fault "
              "cost (charging from 128 KiB, as before, predicted MobileNet-v2 at 2.4x its time). oneDNN's own "
              "temporaries fault only while a model is new: counted with getrusage's minor faults at one thread, "
              "torchvision's MobileNet-v2, MobileNet-v3-large and EfficientNet-B0 fault 5-10 MB in their first "
              "forward, 4.8 MB in their second and none from the third on (ResNet-18: 34 MB, then none). With one "
              "warm-up call, as this benchmark had, every round's median held the second call's faults (MobileNet-v2 "
              "21.3 ms against 18.8 ms from the third call); it now warms up three calls, and `archcost bench` "
              "warms up at least three, so a steady forward has no fault to charge.",
              "- Drift. This machine is a shared virtual machine whose speed moves in ways its load average does "
              "not show: a profile holds for the conditions it was measured in. `predict-rerun.md` is this "
              "benchmark run again 20 minutes after the committed run, when the GEMM peak had dropped and calls "
              "varied more; its profile followed the slowdown, but the networks' times kept moving during the run.",
              "- Load. The 2-core machine ran other jobs throughout (load average above); a network's median over "
              "seconds takes their interference, while microbenchmarks keep their best of several short calls. "
              "The fastest-run table above shows how much of the error that is. Keeping each microbenchmark's "
              "median instead (the statistic a network is given) took 21 networks timed in one run from 24.9 to "
              "22.3 % median error, but in a full run whose profile met a rise in the machine's load it predicted "
              "VGG at 1.9x and the ResNets at 1.2-1.5x their time: a long call's median takes the neighbours' time "
              "slices, the best does not, so the profile keeps the best.",
              "- Timing in a fresh process. A trial saw torchvision's ResNet-18 at 56-59 ms in a fresh process "
              "against 60-69 ms in this long one, so `--timing both` timed 22 networks (zoo, torchvision, timm; 3 "
              "rounds, this report's profile, load 1.0) in every round in this process and then in a fresh one "
              "(`archcost bench --isolate`; measurements in predict-isolate-trial.json). The same predictions met the fresh process no better: batch 1 median "
              "absolute error 16.4 % in process against 16.5 % fresh (59 % within ±20 % both, Spearman 0.992 "
              "against 0.979), batch 8 18.6 against 27.0 % (ResNet-18: 60.5 against 60.9 ms). A fresh process runs "
              "depthwise networks slower (MobileNet-v2 21.3 -> 28.3 ms, 214 -> 304 ms at batch 8; "
              "MobileNet-v1 and EfficientNet-B0 +31-37 % at batch 1). Not for want of warm-up: a second of the "
              "harness's adaptive warm-up in every round left it (7 networks, MobileNet-v2 27-28 ms fresh), and "
              "`archcost bench mobilenet-v2` in its own process measures 20.0 ms where `archcost bench --isolate` "
              "measures 28.8 ms. Most likely glibc's heap: freeing a mapped block raises its mmap threshold to "
              "that block's size (at most 32 MiB) and its trim threshold to twice that. A process that has freed "
              "a large block (the CLI's 64 MB bandwidth microbenchmark, or this benchmark's earlier networks) keeps "
              "a model's activations on a heap it no longer trims; a worker that only runs MobileNet-v2 (largest "
              "output 4.8 MB) trims and faults its heap in again. With the threshold fixed at 32 MiB "
              "(MALLOC_MMAP_THRESHOLD_=33554432) the isolated worker measured 22.5 ms (single runs on the shared "
              "machine). So a fresh process is not the steadier measurement, and the rounds stay in process by "
              "default.",
              "- Kernels in a network run slower than alone, and not alike: the profile's per-module overhead is "
              "measured on a chain of small Conv2d-BatchNorm2d-ReLU layers less their ops alone, compute "
              "microbenchmarks cycle through fresh copies of their tensors, and what is left is fitted on "
              "generated networks as two in-network factors, one for the compute part and one for the memory and "
              "overhead parts. Memory and overhead apart (three factors) came out 0.7 and 2.9 for memory in two "
              "profiles, since the same networks lean on both; one factor for all (the median ratio) left the "
              "large convolutions of VGG over-predicted and the mobile networks under-predicted (a trial of this "
              "benchmark: 9.7 % median error against 4.3 % for the two factors refitted on the same profile's "
              "generated networks).",
              "- Shapes the grids do not sample: dense convolutions are measured with as many output channels as "
              "inputs, and every convolution at stride 1; other ratios and strides are read off those points. A "
              "trial measured oneDNN's eight convolution kinds again at stride 2 as kinds of their own (profile 50 "
              "-> 82 s): on 21 networks timed in one run the median error went from 27.4 to 26.6 % (mobile networks "
              "0-4 points closer, the rest 0-2), too little for a profile half as long again, so they are not "
              "profiled.",
              "- Kinds not measured on their own: 1-d and 3-d convolutions are read off the 2-d curve of the "
              "nearest kernel size; upsampling, gathers and shuffles are costed as copies.",
              "- Strides. Element-wise ops, norms and copies are measured on contiguous tensors; on permuted ones "
              "(ConvNeXt's channels-last blocks) they run slower: in the unseen set's convnext-like network, timed "
              "op by op with torch.profiler at one thread, LayerNorm took 2.7x and the residual add 3x their "
              "prediction. A record carries shapes, not strides, so the model cannot tell them apart.",
              "- Recurrent layers: an LSTM text classifier was predicted at 69 ms against 24.6 ms measured (torch's "
              "fused CPU kernel is costed as its separate gate products), so the unseen set leaves it out.", ""]
    lines += ["## Every network", "", "| network | batch | GMACs | measured ms | predicted ms | error | bound | "
              "MACs-only ms |", "|---|---:|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        lines.append(f"| {r['arch']} | {r['batch']} | {r['macs'] / 1e9:.3f} | {r['measured_ms']:.2f} | "
                     f"{r['predicted_ms']:.2f} | {100 * (r['predicted_ms'] / r['measured_ms'] - 1):+.0f} % | "
                     f"{r['bound']} | {r.get('macs_only_ms', float('nan')):.2f} |")
    if data.get("predict_overhead"):
        lines += ["", "## What predicting adds to an analysis", "", "| network | analyze s | with predict= s | added |",
                  "|---|---:|---:|---:|"]
        for o in data["predict_overhead"]:
            lines.append(f"| {o['arch']} | {o['analysis_s']:.3f} | {o['with_predict_s']:.3f} | "
                         f"{100 * (o['with_predict_s'] / o['analysis_s'] - 1):+.1f} % |")
    lines += _generated(profile)
    if data["failures"]:
        lines += ["", "## Not measured", ""] + [f"- {f['arch']}: {f['error']}" for f in data["failures"]]
    text = "\n".join(lines) + "\n"
    out.write_text(text)
    return text


def _generated(profile: dict[str, Any]) -> list[str]:
    """The profile's own generated networks: what its in-network factors were fitted on."""
    networks = profile.get("networks") or []
    factors = profile["model"].get("in_network_factors")
    if not networks or not factors:
        return []
    lines = ["", "## The profile's generated networks", "",
             f"`archcost profile` ends by timing {len(networks)} networks it generates from a fixed seed "
             "(`archcost/predict/generated_networks.py`: plain, CIFAR, bottleneck, grouped, inverted-residual, transformer "
             "and mixer families), each the median of its pass medians, and fits by least squares how much slower "
             "the kernels' compute part and their memory-and-overhead part run in them: compute "
             f"x{factors['compute']:.3f}, memory and overhead x{factors['memory']:.3f} here.", "",
             "| generated network | GMACs | measured ms | kernels alone ms | compute / memory / overhead ms | "
             "with the factors ms |", "|---|---:|---:|---:|---|---:|"]
    for n in networks:
        scaled = (factors["compute"] * n["compute_ms"] + factors["memory"] * n["memory_ms"]
                  + factors["overhead"] * n["overhead_ms"])
        lines.append(f"| {n['name']} | {n['macs'] / 1e9:.3f} | {n['measured_ms']:.2f} | {n['predicted_ms']:.2f} | "
                     f"{n['compute_ms']:.2f} / {n['memory_ms']:.2f} / {n['overhead_ms']:.2f} | {scaled:.2f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where the profile is measured "
                        "and the networks timed (cuda: benchmarks/gpu_matrix.sh runs it)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--networks", nargs="*")
    parser.add_argument("--set", choices=("default", "unseen"), default="default",
                        help="default: the zoo (+ torchvision and timm samples); unseen: the plain-PyTorch networks "
                        "of benchmarks/unseen_networks.py, reported in predict-unseen.md unless --out says otherwise")
    parser.add_argument("--profile", help="a saved archcost.device-profile/1 file (default: measure one first)")
    parser.add_argument("--batch8-max-gmacs", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3, help="round-robin rounds over all networks")
    parser.add_argument("--timing", choices=("in-process", "isolated", "both"),
                        default="in-process", help="time each network in this long process, in a fresh process "
                        "every round (isolated), or both (the in-process figures kept beside); see the report on "
                        "why in-process is the default")
    parser.add_argument("--runs", type=int, default=2, help="timed calls per network and batch in each round")
    parser.add_argument("--out", type=Path, help="the report (default reports/benchmarks/predict.md, or "
                        "predict-unseen.md with --set unseen); its measurements and chart go beside it")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--ablate", action="store_true", help="also predict every network by the kernels alone, "
                        "without the profile's in-network factor (saved in the JSON)")
    args = parser.parse_args()
    if args.set == "unseen" and args.timing != "in-process":
        parser.error("--set unseen times model instances, which only --timing in-process can (a fresh process "
                     "takes registry names)")
    args.out = args.out or ROOT / "reports" / "benchmarks" / ("predict-unseen.md" if args.set == "unseen"
                                                               else "predict.md")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    data_path = args.out.with_suffix(".json")
    chart = args.out.with_suffix(".png")

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    data = json.loads(data_path.read_text()) if args.report_only else _collect(args, data_path, log)
    if args.ablate:
        _ablate(data)
        data_path.write_text(json.dumps(data, indent=1))
    print(_report(data, args.out, chart))


if __name__ == "__main__":
    main()
