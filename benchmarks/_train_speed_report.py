"""The Markdown report of ``train_speed.py`` and its pay-or-go check. Pure: no clock, no processes."""

from __future__ import annotations

import argparse
import platform
import statistics


def _load(values: tuple[float, float, float]) -> str:
    return "{:.2f} / {:.2f} / {:.2f}".format(*values)


def _warm_table(warm: dict[str, dict[str, float]]) -> list[str]:
    rows = ["| network | inference CPU s | train CPU s | train/inference | train without the kernels CPU s | "
            "saved by the kernels |", "| :--- | ---: | ---: | ---: | ---: | ---: |"]
    for name, m in warm.items():
        saved = 1 - m["train"] / m["train without"]
        rows.append(f"| {name} | {m['inference']:.4f} | {m['train']:.4f} | {m['train'] / m['inference']:.2f} | "
                    f"{m['train without']:.4f} | {saved * 100:.0f} % |")
    return rows


def _cold_table(cold: dict[str, dict[str, tuple[float, float]]]) -> list[str]:
    rows = ["| network | with the kernels: wall s / CPU s | without: wall s / CPU s | "
            "saved (CPU) |", "| :--- | ---: | ---: | ---: |"]
    for name, found in cold.items():
        (on_s, on_cpu), (off_s, off_cpu) = found["on"], found["off"]
        rows.append(f"| {name} | {on_s:.2f} / {on_cpu:.2f} | {off_s:.2f} / {off_cpu:.2f} | {off_cpu - on_cpu:+.2f} s |")
    return rows


def verdict(warm: dict[str, dict[str, float]], cold: dict[str, dict[str, tuple[float, float]]],
            pays: tuple[float, float]) -> list[str]:
    share, cold_s = pays
    lines = []
    if warm:
        saved = statistics.median(1 - m["train"] / m["train without"] for m in warm.values())
        ratio = statistics.median(m["train"] / m["inference"] for m in warm.values())
        lines.append(f"{'PAYS' if saved >= share else 'DOES NOT PAY'}  warm: the kernels save a median "
                     f"{saved * 100:.0f} % of a train-mode analysis over {len(warm)} networks (threshold "
                     f"{share * 100:.0f} %)")
        lines.append(f"INFO  warm train-mode analysis / inference analysis: median {ratio:.2f}x")
    if cold:
        saved_s = statistics.median(f["off"][1] - f["on"][1] for f in cold.values())
        lines.append(f"{'PAYS' if saved_s >= cold_s else 'DOES NOT PAY'}  cold: the kernels save a median "
                     f"{saved_s:.2f} s (CPU) of a fresh process's first train-mode analysis over {len(cold)} networks "
                     f"(threshold {cold_s} s)")
    return lines


def render(warm: dict[str, dict[str, float]], cold: dict[str, dict[str, tuple[float, float]]], *, command: str,
           loads: tuple[tuple[float, float, float], tuple[float, float, float]], torch_version: str,
           args: argparse.Namespace, pays: tuple[float, float]) -> str:
    lines = ["# Train-mode analysis time, and what the training step's meta kernels buy", "",
             f"Written by `{command}` (Python {platform.python_version()}, torch {torch_version}, "
             f"{args.threads} thread(s), load average at start {_load(loads[0])}, at end {_load(loads[1])}, 1/5/15 "
             "min). The machine is shared: compare the columns of one row, measured in the same run, not seconds "
             "between runs.", "", "```", *verdict(warm, cold, pays), "```", "",
             "## Warm, in one process", "",
             f"Each network built once on meta, the same instance analysed {args.repeats} times after a warm-up: "
             "inference, train mode (sgd) with the kernels of `archcost/counting/meta_kernels_train.py`, and train "
             "mode with every training op left to torch's own meta implementation; medians of CPU seconds of the process "
             "(one thread: an idle machine's wall time, undisturbed by other processes' preemption).", "",
             *_warm_table(warm)]
    if cold:
        lines += ["", "## Cold, in fresh processes", "",
                  f"The first train-mode analysis of a fresh process (imports done before the clock starts), median "
                  f"of {args.cold_runs} processes each way, alternating; wall and CPU seconds of that call; the saving is in CPU seconds, which other work on the machine disturbs less.", "",
                  *_cold_table(cold)]
    return "\n".join(lines) + "\n"
