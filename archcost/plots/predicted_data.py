"""The data of ``archcost plot predicted``: predicted against measured latency, per network and batch, from the
JSON that ``benchmarks/predict.py`` writes, with the best MACs-only power law fitted per batch on the same points."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archcost.errors import UsageError
from archcost.json_file import read_json
from archcost.plots.chart_data import ChartData

COLUMNS = ("arch", "batch", "macs", "measured_ms", "predicted_ms", "macs_only_ms", "bound")


def read_points(path: Path) -> dict[str, Any]:
    document = read_json(path, "predictions file")
    if not isinstance(document, dict) or not isinstance(document.get("rows"), list) or not document["rows"]:
        raise UsageError(f"{path} has no measured networks: give the .json that benchmarks/predict.py writes")
    return document


def predicted_chart(document: dict[str, Any]) -> ChartData:
    from archcost.predict.accuracy import power_law, power_law_ms, summary

    rows, figures = [], {}
    for batch in sorted({r["batch"] for r in document["rows"]}):
        chosen = [dict(r) for r in document["rows"] if r["batch"] == batch]
        if len(chosen) < 2:
            continue
        fit = power_law([r["macs"] for r in chosen], [r["measured_ms"] for r in chosen])
        for r in chosen:
            r["macs_only_ms"] = power_law_ms(fit, r["macs"])
        measured = [r["measured_ms"] for r in chosen]
        figures[str(batch)] = {"model": summary([r["predicted_ms"] for r in chosen], measured),
                               "macs_only": summary([r["macs_only_ms"] for r in chosen], measured),
                               "macs_only_fit": {"log_coefficient": fit[0], "exponent": fit[1]}}
        rows += [{k: r.get(k) for k in COLUMNS} for r in chosen]
    if not rows:
        raise UsageError("the benchmark file has fewer than two networks at every batch size")
    profile = document.get("profile", {})
    caption = [f"Measured: archcost bench, {document.get('threads')} thread(s), median ms. Predicted: archcost's "
               f"latency model from the device profile {profile.get('name')} alone (nothing fitted on these "
               "networks). MACs-only: the least-squares power law of ms on MACs fitted on these very networks. "
               "Grey band: ±20 %."]
    return ChartData(kind="predicted", title="Predicted against measured latency", rows=rows, columns=COLUMNS,
                     caption=caption, meta={"figures": figures})
