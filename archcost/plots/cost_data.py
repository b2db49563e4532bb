"""Data of the charts that explain where cost goes: per-block cost, the two inception modules, EfficientNet scaling.

All figures come from ``archcost.analyze`` on the meta device; no matplotlib here.
"""

from __future__ import annotations

import math
from typing import Any

from archcost.errors import Option, UsageError
from archcost.plots.chart_data import CONVENTION, CONVENTION_NOTE, ChartData, cost

# Module types that only hold other modules: a "block" is the first module below the root that is not one of these
# (a ResNet stage expands into its residual units, an EfficientNet stage into its MBConv blocks).
CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
MAX_BARS = 60  # deeper than this, a bar chart stops being readable: expand one level less


def _children(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    children: dict[str, list[dict[str, Any]]] = {}
    for row in rows[1:]:
        parent = row["name"].rpartition(".")[0]
        children.setdefault(parent, []).append(row)
    return children


def _blocks(rows: list[dict[str, Any]], depth: int | None, limit: int) -> list[dict[str, Any]]:
    children = _children(rows)
    found: list[dict[str, Any]] = []

    def visit(name: str) -> None:
        for child in children.get(name, []):
            expand = child["name"] in children and child["depth"] < limit and (
                child["depth"] < depth if depth is not None else child["type"] in CONTAINERS)
            if expand:
                visit(child["name"])
            elif child["macs"] or child["params"]:
                found.append(child)

    visit("")
    return found


def layers_chart(*, arch: str, input_shape: str | list[str] | None = None, depth: int | None = None,
                 overrides: dict[str, Any] | None = None) -> ChartData:
    """MACs and parameters per block, in definition order; an '(other)' bar holds what no block owns."""
    from archcost.analysis import analyze

    if depth is not None and depth < 1:
        raise UsageError("$depth must be 1 or more", Option("depth"))
    analysis = analyze(arch, input_shape, convention=CONVENTION, **(overrides or {}))
    rows = analysis.rows
    deepest = max(r["depth"] for r in rows)
    limit = deepest + 1
    blocks = _blocks(rows, depth, limit)
    while depth is None and len(blocks) > MAX_BARS and limit > 1:
        limit -= 1
        blocks = _blocks(rows, depth, limit)
    totals = analysis.totals
    data = [{"block": b["name"], "type": b["type"], "output_shape": list(b["output_shape"] or []),
             "macs": b["macs"], "params": b["params"]} for b in blocks]
    other_macs = totals["macs"] - sum(b["macs"] for b in data)
    other_params = totals["params"] - sum(b["params"] for b in data)
    if other_macs or other_params:  # functional ops in a container's own forward, parameters held by the root
        data.append({"block": "(other)", "type": "", "output_shape": [], "macs": other_macs, "params": other_params})
    for b in data:
        b["macs_percent"] = 100.0 * b["macs"] / totals["macs"] if totals["macs"] else 0.0
        b["params_percent"] = 100.0 * b["params"] / totals["params"] if totals["params"] else 0.0
    shape = "x".join(map(str, analysis.input_shape))
    return ChartData(
        kind="layers", title=f"{analysis.model}: where the cost goes (input {shape})",
        rows=data, columns=("block", "type", "output_shape", "macs", "macs_percent", "params", "params_percent"),
        caption=[f"{analysis.model}: {totals['macs']:,} MACs and {totals['params']:,} parameters in total, "
                 f"computed by archcost on the meta device; {CONVENTION_NOTE}.",
                 "A block is the first module below the network that is not a plain container "
                 "(Sequential, ModuleList); '(other)' is what no block owns."],
        meta={"arch": analysis.model, "input_shape": list(analysis.input_shape), "convention": CONVENTION,
              "total_macs": totals["macs"], "total_params": totals["params"]},
    )


def _branch_label(rows: list[dict[str, Any]], parents: set[str], branch: str) -> tuple[str, str]:
    """('1x1 conv → 3x3 conv', '3x3 branch') from the leaf layers of one branch: its path and its legend name."""
    parts, kind, widest = [], "", 0
    for row in rows:
        leaf = row["name"] not in parents  # a ConvReLU wrapper also carries a kernel: read the conv inside it
        if not row["name"].startswith(branch + ".") or not row["kernel"] or not leaf:
            continue
        kernel = row["kernel"].split("/")[0]
        if "Pool" in row["type"]:
            parts.append(f"{kernel} {'max' if 'Max' in row['type'] else 'avg'}-pool")
            kind = "pool"
        elif "Conv" in row["type"]:
            parts.append(f"{kernel} conv")
            side = int(kernel.split("x")[0])
            if kind != "pool" and side > widest:
                kind, widest = kernel, side
    return " → ".join(parts), (f"{kind} branch" if kind else "branch")


INCEPTION_PAIR = ("inception-naive", "inception-bottleneck")


def inception_chart(*, names: tuple[str, ...] = INCEPTION_PAIR) -> ChartData:
    """Naive against bottleneck inception module, MACs and parameters stacked by branch, with the totals."""
    from archcost.analysis import analyze

    data, totals = [], {}
    for name in names:
        analysis = analyze(name, convention=CONVENTION)
        rows = analysis.rows
        module = next((r for r in rows if r["type"] == "Inception"), None)
        if module is None:
            raise UsageError(f"{name} has no Inception module to split by branch")
        tree = _children(rows)
        for index, branch in enumerate(tree.get(module["name"], []), start=1):
            path, kind = _branch_label(rows, set(tree), branch["name"])
            data.append({"module": name, "branch": index, "name": branch["name"], "kind": kind, "path": path,
                         "macs": branch["macs"], "params": branch["params"],
                         "macs_percent": 100.0 * branch["macs"] / analysis.totals["macs"]})
        totals[name] = {"macs": analysis.totals["macs"], "params": analysis.totals["params"],
                        "input_shape": list(analysis.input_shape), **_lecture_total(name)}
    first, last = names[0], names[-1]
    ratio = totals[first]["macs"] / totals[last]["macs"] if totals[last]["macs"] else float("nan")
    shape = "x".join(map(str, totals[first]["input_shape"][1:]))
    return ChartData(
        kind="inception", title=f"Inception module at {shape}: naive against 1x1 bottlenecks",
        rows=data, columns=("module", "branch", "name", "kind", "path", "macs", "macs_percent", "params"),
        caption=[f"Totals: {first} {totals[first]['macs']:,} MACs, {totals[first]['params']:,} parameters; "
                 f"{last} {totals[last]['macs']:,} MACs, {totals[last]['params']:,} parameters "
                 f"({ratio:.2f}x fewer MACs). Computed by archcost on the meta device; {CONVENTION_NOTE}."]
        + _lecture_caption(totals),
        meta={"modules": totals, "convention": CONVENTION, "macs_ratio": ratio},
    )


def _lecture_total(name: str) -> dict[str, Any]:
    """The lecture's printed MAC total for one of the two modules (archcost/published/inception-module.csv, the file
    ``archcost reproduce inception-module`` compares against); empty for any other module."""
    from archcost.reproduction.figures import load

    kind = name.removeprefix("inception-")
    row = next((p for p in load("inception-module") if p.row == f"{kind}: total"), None) \
        if name in INCEPTION_PAIR else None
    if row is None:
        return {}
    return {"lecture_macs": int(row.published * row.multiplier), "lecture_text": row.published_text,
            "lecture_source": row.source.title, "lecture_where": row.source.table}


def _lecture_caption(totals: dict[str, dict[str, Any]]) -> list[str]:
    printed = [(name, t) for name, t in totals.items() if "lecture_text" in t]
    if not printed:
        return []
    return ["The lecture prints " + " and ".join(f"{t['lecture_text']} for {name} ({t['lecture_where']})"
                                               for name, t in printed)
            + f" ({printed[0][1]['lecture_source']}); `archcost reproduce inception-module` explains the gap."]


# EfficientNet-B0 scaled one dimension at a time, and all three together (Tan & Le 2019, Figure 2 and equation 3).
SCALING_STEPS = {
    "width": (1.0, 1.5, 2.0, 3.0),
    "depth": (1.0, 1.5, 2.0, 3.0),
    "resolution": (1.0, 1.5, 2.0, 3.0),
    "compound": (0.0, 1.0, 2.0, 3.0),  # phi; the multiplier on the x axis is 2**phi, the FLOPs target
}
# Why a fitted exponent can stray from its ideal: shown on the chart whenever it strays by more than TOLERANCE.
TOLERANCE = 0.1
WHY = {
    "width": "the 3-channel stem, the depthwise convs and the classifier grow only linearly with width, "
             "and channels round to multiples of 8",
    "depth": "the stem, the head and the classifier do not deepen, and each stage's layer count rounds up",
    "resolution": "the classifier and the squeeze-excitation layers do not grow with the image",
    "compound": "alpha * beta^2 * gamma^2 is 1.92, not exactly 2, and each dimension rounds as above",
}


def _fit_exponent(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of log(MACs) against log(multiplier): the p of MACs ~ m^p."""
    xs = [math.log(m) for m, _ in points]
    ys = [math.log(v) for _, v in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def scaling_chart(*, arch: str = "efficientnet-b0") -> ChartData:
    """MACs of EfficientNet-B0 against each scaling multiplier, with the fitted exponent of each curve."""
    from archcost.zoo import efficientnet as effnet
    from archcost.zoo.registry import get

    name = get(arch).name
    if get(name).family != "efficientnet":
        raise UsageError(f"scaling needs an EfficientNet (its builder takes width and depth multipliers), not {name}")
    alpha, beta, gamma = effnet.ALPHA, effnet.BETA, effnet.GAMMA
    theory = {"width": 2.0, "depth": 1.0, "resolution": 2.0,
              "compound": math.log2(alpha * beta**2 * gamma**2)}
    rows = []
    for curve, steps in SCALING_STEPS.items():
        for step in steps:
            width = depth = resolution = 1.0
            if curve == "width":
                width = step
            elif curve == "depth":
                depth = step
            elif curve == "resolution":
                resolution = step
            else:
                depth, width, resolution = effnet.compound(step)
            channels, side, _ = effnet.native_input(resolution_mult=resolution)
            overrides = (("depth_mult", depth), ("width_mult", width))
            totals = cost(name, f"{channels}x{side}x{side}", overrides=overrides)
            rows.append({"curve": curve, "multiplier": 2.0**step if curve == "compound" else step,
                         "phi": step if curve == "compound" else None, "width_mult": width, "depth_mult": depth,
                         "resolution": side, "macs": totals["macs"], "params": totals["params"]})
    fits = {}
    for curve in SCALING_STEPS:
        points = [(r["multiplier"], r["macs"]) for r in rows if r["curve"] == curve]
        exponent = _fit_exponent(points)
        off = abs(exponent - theory[curve]) > TOLERANCE
        fits[curve] = {"exponent": exponent, "theory": theory[curve], "within_tolerance": not off,
                       "why": WHY[curve] if off else ""}
    caption = [f"{name} built by archcost with one multiplier changed at a time (width w, depth d, input resolution "
               f"r = side / {effnet.BASE_RESOLUTION}), and compound scaling d = {alpha}^phi, w = {beta}^phi, "
               f"r = {gamma}^phi plotted at 2^phi. Exponent p of MACs ~ multiplier^p fitted by least squares in "
               f"log-log; {CONVENTION_NOTE}."]
    caption += [f"{curve}: fitted {fit['exponent']:.2f}, ideal {fit['theory']:.2f}, because {fit['why']}."
                for curve, fit in fits.items() if fit["why"]]
    return ChartData(
        kind="scaling", title=f"Scaling {name}: MACs against width, depth, resolution and compound multipliers",
        rows=rows, columns=("curve", "multiplier", "phi", "width_mult", "depth_mult", "resolution", "macs", "params"),
        caption=caption,
        meta={"arch": name, "fits": fits, "tolerance": TOLERANCE, "convention": CONVENTION,
              "compound_constants": {"alpha_depth": alpha, "beta_width": beta, "gamma_resolution": gamma}},
    )
