"""The measurements of ``zoo_speed.py``, issue 22's checks over them and the Markdown report. Pure: no clock."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

TRAIN_OVER_FLOP_COUNTER = 1.5  # issue 22: a train-mode analysis at most 1.5x FlopCounterMode's forward + backward
# The same code timed twice differs by a few percent on a shared machine: "no slower" allows that much. The check
# reads CPU seconds: wall seconds on a shared machine carry the other processes' work (shown beside it).
CLI_NOISE = 1.05


@dataclass
class NetworkTimes:
    name: str
    input: str
    first_s: dict[str, float]  # the untimed warm-up call of each
    median_s: dict[str, float]  # keys: archcost, flop_counter, archcost train, flop_counter forward+backward

    @property
    def inference_ratio(self) -> float:
        return self.median_s["archcost"] / self.median_s["flop_counter"]

    @property
    def train_ratio(self) -> float:
        return self.median_s["archcost train"] / self.median_s["flop_counter forward+backward"]

    def line(self) -> str:
        m = self.median_s
        return (f"{self.name}: inference {m['archcost']:.4f} s vs {m['flop_counter']:.4f} s "
                f"({self.inference_ratio:.2f}x); train {m['archcost train']:.4f} s vs "
                f"{m['flop_counter forward+backward']:.4f} s ({self.train_ratio:.2f}x)")


@dataclass
class CliTimes:
    label: str
    medians: dict[str, tuple[float, float]]  # tree -> (median wall s, median CPU s)


def checks(networks: list[NetworkTimes], cli: list[CliTimes], old: str) -> list[str]:
    lines = []
    if networks:  # (none with --cli-only)
        slower = [f"{n.name} {n.inference_ratio:.2f}x" for n in networks if n.inference_ratio >= 1]
        worst = max(networks, key=lambda n: n.inference_ratio)
        lines.append(f"{'FAIL' if slower else 'PASS'}  inference analysis faster than FlopCounterMode on every "
                     f"network: {len(networks) - len(slower)}/{len(networks)}; slowest relative to it: {worst.name} "
                     f"{worst.inference_ratio:.2f}x" + (f" (not faster: {', '.join(slower)})" if slower else ""))
        ratio = statistics.median(n.train_ratio for n in networks)
        lines.append(f"{'PASS' if ratio <= TRAIN_OVER_FLOP_COUNTER else 'FAIL'}  train-mode analysis <= "
                     f"{TRAIN_OVER_FLOP_COUNTER}x FlopCounterMode forward + backward, median over {len(networks)}: "
                     f"{ratio:.2f}x (range {min(n.train_ratio for n in networks):.2f}-"
                     f"{max(n.train_ratio for n in networks):.2f}x)")
    for command in cli:
        (new_wall, new_cpu), (old_wall, old_cpu) = command.medians["this checkout"], command.medians[old]
        ok = new_cpu <= old_cpu * CLI_NOISE
        lines.append(f"{'PASS' if ok else 'FAIL'}  cold `{command.label}` no slower than {old} (CPU, within "
                     f"{(CLI_NOISE - 1) * 100:.0f} %): CPU {new_cpu:.3f} s vs {old_cpu:.3f} s (wall {new_wall:.3f} s "
                     f"vs {old_wall:.3f} s)")
    return lines


def _network_table(networks: list[NetworkTimes]) -> list[str]:
    rows = ["| network | input | archcost CPU s | FlopCounterMode CPU s | ratio | archcost train CPU s | "
            "FlopCounterMode fwd+bwd CPU s | ratio | first calls: archcost / train CPU s |",
            "| :--- | :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for n in networks:
        m, f = n.median_s, n.first_s
        rows.append(f"| {n.name} | {n.input} | {m['archcost']:.4f} | {m['flop_counter']:.4f} | "
                    f"{n.inference_ratio:.2f} | {m['archcost train']:.4f} | {m['flop_counter forward+backward']:.4f} "
                    f"| {n.train_ratio:.2f} | {f['archcost']:.3f} / {f['archcost train']:.3f} |")
    return rows


def _cli_table(cli: list[CliTimes], old: str) -> list[str]:
    rows = [f"| command | this checkout wall / CPU s | {old} wall / CPU s |", "| :--- | ---: | ---: |"]
    for c in cli:
        (nw, nc), (ow, oc) = c.medians["this checkout"], c.medians[old]
        rows.append(f"| `{c.label}` | {nw:.3f} / {nc:.3f} | {ow:.3f} / {oc:.3f} |")
    return rows


def render(machine: dict[str, str], networks: list[NetworkTimes], cli: list[CliTimes], *, command: str,
           old: str) -> str:
    lines = ["# Issue 22's speed criteria: archcost against FlopCounterMode on the zoo, cold CLI against "
             f"{old}", "", f"Written by `{command}`. Every ratio is of medians measured in the same run; the machine "
             "is shared (see the load averages), so absolute seconds move between runs, ratios much less.", "",
             "## Machine", "", "|  |  |", "| :--- | :--- |"]
    lines += [f"| {key} | {value} |" for key, value in machine.items()]
    lines += ["", "## Checks", "", "```", *checks(networks, cli, old), "```", "",
              "## Every zoo network, warm, in one process", "",
              "Each network is built once on meta; the same instance is analysed by `archcost.analyze(model, shape)` "
              "and counted by `FlopCounterMode` (forward on meta under no_grad, eval mode); in train mode "
              "`archcost.analyze(model, shape, mode=\"train\", optimizer=\"sgd\")` (forward, loss, backward, "
              "optimizer step, memory) against FlopCounterMode's forward (train mode) + loss + backward on meta. "
              "Seconds are CPU seconds of the process (`time.process_time`, one thread: an idle machine's wall time; "
              "other processes' preemption, milliseconds at a time, would swamp the smallest networks' wall times), "
              "medians of the samples after one untimed warm-up call; a sample of a call under 50 ms averages as "
              "many calls as fill 50 ms. Ratio = archcost / FlopCounterMode (below 1: archcost is faster). The last "
              "column is each first call (imports and torch's lazily loaded meta kernels included for the first "
              "network).", "", *_network_table(networks)]
    if cli:
        lines += ["", f"## Cold command line: this checkout against {old}", "",
                  "Each command in a fresh process (`archcost` console script, PYTHONPATH naming the tree, "
                  "ARCHCOST_NO_CACHE=1, both trees compiled into one bytecode cache by an untimed first run); the "
                  "two trees alternate; medians of the runs.", "", *_cli_table(cli, old)]
    return "\n".join(lines) + "\n"
