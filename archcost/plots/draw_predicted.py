"""``benchmarks/predict.py``'s chart: predicted against measured latency, the latency model beside the best
MACs-only power law, with the identity line and the ±20 % band. A test checks the data, never the raster."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from archcost.plots.style import PALETTE, rc_context


def draw_predicted(points: Sequence[dict[str, Any]], path: Path, *, title: str) -> None:
    """``points``: {measured_ms, predicted_ms, macs_only_ms, batch}; two log-log panels written to ``path``."""
    import matplotlib.pyplot as plt

    with rc_context():
        figure, panels = plt.subplots(1, 2, figsize=(13, 6.2), sharex=True, sharey=True)
        low = min(min(p["measured_ms"], p["predicted_ms"], p["macs_only_ms"]) for p in points) / 1.5
        high = max(max(p["measured_ms"], p["predicted_ms"], p["macs_only_ms"]) for p in points) * 1.5
        for axes, key, name in ((panels[0], "predicted_ms", "archcost latency model"),
                                (panels[1], "macs_only_ms", "MACs-only power law (fitted on these networks)")):
            axes.fill_between([low, high], [low / 1.2, high / 1.2], [low * 1.2, high * 1.2], color="0.9",
                              label="±20 %")
            axes.plot([low, high], [low, high], color="0.4", linewidth=1, label="predicted = measured")
            for i, batch in enumerate(sorted({p["batch"] for p in points})):
                chosen = [p for p in points if p["batch"] == batch]
                axes.scatter([p["measured_ms"] for p in chosen], [p[key] for p in chosen], s=22,
                             color=PALETTE[i % len(PALETTE)], label=f"batch {batch}", alpha=0.8)
            axes.set_xscale("log")
            axes.set_yscale("log")
            axes.set_xlim(low, high)
            axes.set_ylim(low, high)
            axes.set_title(name, loc="left", fontsize=11)
            axes.set_xlabel("measured ms (median)")
            axes.legend(loc="upper left", fontsize=9)
        panels[0].set_ylabel("predicted ms")
        figure.suptitle(title, x=0.01, ha="left", fontweight="bold")
        figure.tight_layout()
        figure.savefig(path, dpi=110)
        plt.close(figure)
