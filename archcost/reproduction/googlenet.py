"""``googlenet-table1``: Szegedy et al., "Going Deeper with Convolutions" (arXiv:1409.4842), Table 1, row by row, with
the paper's claims (1.5 billion multiply-adds, 12x fewer parameters than AlexNet, 22/27 layers) and the lecture's.

:func:`paper_style_rows` lays a GoogLeNet analysis out as Table 1 (``archcost table googlenet --style paper``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archcost.render import Column, integer
from archcost.reproduction import models
from archcost.reproduction.core import Check, Reproduction, judge, sources
from archcost.reproduction.explain import Candidate
from archcost.reproduction.figures import load, lookup

if TYPE_CHECKING:
    from archcost.analysis import Analysis

TARGET = "googlenet-table1"
_POOLS = ("MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d")
_WIDTHS = ("n1x1", "n3x3_reduce", "n3x3", "n5x5_reduce", "n5x5", "pool_proj")

PAPER_STYLE_COLUMNS = (
    Column("type", "type", "left"),
    Column("patch", "patch size/stride", "left"),
    Column("output", "output size", "left"),
    Column("depth", "depth"),
    Column("n1x1", "#1x1", show=integer),
    Column("n3x3_reduce", "#3x3 reduce", show=integer),
    Column("n3x3", "#3x3", show=integer),
    Column("n5x5_reduce", "#5x5 reduce", show=integer),
    Column("n5x5", "#5x5", show=integer),
    Column("pool_proj", "pool proj", show=integer),
    Column("params", "params", show=integer),
    Column("ops", "ops (MACs)", show=integer),
)


def _inside(analysis: Analysis, prefix: str) -> list[dict[str, Any]]:
    return [r for r in analysis.rows if r["name"] == prefix or r["name"].startswith(prefix + ".")]


def _output(shape: tuple[int, ...] | None) -> str:
    if not shape:
        return ""
    if len(shape) == 2:  # N x C after flatten: the paper writes 1x1xC
        return f"1x1x{shape[1]}"
    return f"{shape[2]}x{shape[3]}x{shape[1]}"


def _patch(rows: list[dict[str, Any]]) -> str:
    head = rows[0]
    if head["type"] == "AdaptiveAvgPool2d":  # its window is the whole input: 7x7/1 on a 7x7 map
        return f"{head['input_shape'][2]}x{head['input_shape'][3]}/1"
    for r in rows:
        if r["kernel"]:
            return r["kernel"]
    return ""


def _branches(rows: list[dict[str, Any]], prefix: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        rest = r["name"][len(prefix) + 1:]
        if rest.startswith("branch"):
            grouped.setdefault(rest.split(".")[0], []).append(r)
    return grouped


def _widths(branches: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """#1x1 .. pool proj read off the convolutions of each branch (their output channels)."""
    def outs(branch: str) -> list[int]:
        return [r["output_shape"][1] for r in branches.get(branch, []) if r["type"] == "Conv2d"]

    b1, b2, b3, b4 = outs("branch1"), outs("branch2"), outs("branch3"), outs("branch4")
    return {"n1x1": b1[-1] if b1 else 0, "n3x3_reduce": b2[0] if len(b2) > 1 else 0, "n3x3": b2[-1] if b2 else 0,
            "n5x5_reduce": b3[0] if len(b3) > 1 else 0, "n5x5": b3[-1] if b3 else 0,
            "pool_proj": b4[-1] if b4 else 0}


def _layer_groups(analysis: Analysis) -> list[list[str]]:
    """Top-level modules in forward order, a '<name>_reduce' 1x1 merged with the conv it feeds (Table 1's conv2)."""
    names = [r["name"] for r in analysis.rows if r["depth"] == 1]
    groups: list[list[str]] = []
    for name in names:
        if groups and groups[-1][-1] == f"{name}_reduce":
            groups[-1].append(name)
        else:
            groups.append([name])
    return groups


def paper_style_rows(analysis: Analysis) -> list[dict[str, Any]]:
    """A GoogLeNet analysis laid out as the paper's Table 1, every figure computed: type, patch size/stride, output
    size, depth (layers with parameters on the longest path), the six widths, params, ops (the analysis' convention;
    'paper' is MACs) and ``all_depth`` (layers counting pooling too). Render with :data:`PAPER_STYLE_COLUMNS`."""
    table = []
    for group in _layer_groups(analysis):
        rows = [r for name in group for r in _inside(analysis, name)]
        head = analysis.layer(group[-1])
        convs = [r for r in rows if r["type"] in ("Conv2d", "Linear")]
        entry: dict[str, Any] = dict.fromkeys(_WIDTHS)
        if head["type"] == "Inception":
            branches = _branches(rows, head["name"])
            kind = f"inception ({head['name'].removeprefix('inception')})"
            depth = max(sum(r["type"] == "Conv2d" for r in b) for b in branches.values())
            all_depth = max(sum(r["type"] == "Conv2d" or r["type"] in _POOLS for r in b) for b in branches.values())
            entry.update(_widths(branches))
        else:
            kind = {"MaxPool2d": "max pool", "AdaptiveAvgPool2d": "avg pool", "AvgPool2d": "avg pool",
                    "Dropout": "dropout", "Linear": "linear"}.get(head["type"], "convolution")
            depth = len(convs)
            all_depth = depth + (head["type"] in _POOLS)
            if len(convs) == 2:  # a reduce 1x1 feeding a 3x3: Table 1 fills #3x3 reduce and #3x3
                entry.update(n3x3_reduce=convs[0]["output_shape"][1], n3x3=convs[1]["output_shape"][1])
        params = sum(analysis.layer(n)["params"] for n in group)
        ops = sum(analysis.layer(n)["ops"] for n in group)
        weights = sum(analysis.layer(n)["weights"] for n in group)
        # Table 1 gives no patch for inception and linear rows; a merged reduce + conv row shows the conv's patch.
        patch = "" if kind == "linear" or kind.startswith("inception") else _patch(_inside(analysis, group[-1]))
        table.append({"type": kind, "patch": patch, "output": _output(
            head["output_shape"]), "depth": depth, **entry, "params": params, "ops": ops, "weights": weights,
            "all_depth": all_depth, "modules": group})
    last = table[-1]
    if last["type"] == "linear":  # Table 1 ends on the softmax, which has no parameters and no MACs
        table.append({"type": "softmax", "patch": "", "output": last["output"], "depth": 0, **dict.fromkeys(_WIDTHS),
                      "params": 0, "ops": 0, "weights": 0, "all_depth": 0, "modules": []})
    return table


def _row_label(entry: dict[str, Any]) -> str:
    if entry["type"] == "convolution":
        return entry["modules"][-1]
    return entry["type"]


def _conv1_variants(analysis: Analysis) -> tuple[list[Candidate], list[Candidate]]:
    """Designs of conv1 whose parameters and MACs both fit the printed figures of its row (under either K), as
    candidates for the params figure and for the ops figure."""
    from archcost.reproduction.status import BASES, FITTING, status
    from archcost.reproduction.variants import ConvLayer, conv_variants

    conv = analysis.layer("conv1.0")
    layer = ConvLayer(c_in=conv["input_shape"][1], c_out=conv["output_shape"][1], kernel=7, stride=2, padding=3,
                      size=conv["input_shape"][2])
    params, ops = lookup(TARGET, "conv1", "params").figure, lookup(TARGET, "conv1", "ops").figure

    def fits(figure: Any, value: int) -> bool:
        return any(status(figure, value, base=b) in FITTING for b in BASES)

    fitting = [v for v in conv_variants(layer) if fits(params, v.params) and fits(ops, v.macs)]
    return ([Candidate(f"variant {v.label} ({v.macs:,} MACs, fitting the ops figure too)", v.params)
             for v in fitting],
            [Candidate(f"variant {v.label} ({v.params:,} params, fitting the params figure too)", v.macs)
             for v in fitting])


def _from_params(entry: dict[str, Any]) -> list[Candidate]:
    """Ops as the row's own printed params times its output positions: tells whether a wrong ops figure was
    derived from a wrong params figure (each weight of a stride-1 layer is used once per output position)."""
    try:
        printed = lookup(TARGET, _row_label(entry), "params").figure
    except KeyError:
        return []
    height, width = (int(v) for v in entry["output"].split("x")[:2])
    return [Candidate(f"the row's printed params {printed.text} (K = {b}) x {height}x{width} output positions",
                      int(printed.value(base=b)) * height * width) for b in (1000, 1024)]


def reproduce() -> Reproduction:
    analysis = models.analysis("googlenet")
    table = paper_style_rows(analysis)
    by_label = {_row_label(e): e for e in table}
    variant_params, variant_ops = _conv1_variants(analysis)
    params_checks, ops_checks = [], []
    for published in load(TARGET):
        if published.kind != "row":
            continue
        entry = by_label[published.row]
        if published.quantity == "params":
            extra = variant_params if published.row == "conv1" else []
            params_checks.append(Check(published, entry["params"], alternatives=[
                Candidate("weights only (biases not counted)", entry["weights"]), *extra]))
        else:
            extra = variant_ops if published.row == "conv1" else []
            ops_checks.append(Check(published, entry["ops"], alternatives=[*extra, *_from_params(entry)]))
    rows = judge(params_checks) + judge(ops_checks)
    order = {label: i for i, label in enumerate(by_label)}
    rows.sort(key=lambda r: (order[r.row], r.quantity != "params"))
    return Reproduction(TARGET, "GoogLeNet, Table 1 of the paper", rows, _claims(analysis, table),
                        sources(load(TARGET)))


def _claims(analysis: Analysis, table: list[dict[str, Any]]) -> list[Any]:
    totals = analysis.totals
    fc = analysis.layer("fc")
    alexnet = models.analysis("alexnet").totals["params"]
    owt = models.params("alexnet-owt") if models.registered("alexnet-owt") else None
    conv1 = next(e for e in table if e["modules"] == ["conv1"])
    variant_ops = _conv1_variants(analysis)[1]
    swapped = [Candidate(f"with conv1 as the {c.label.split(' (')[0].removeprefix('variant ')}",
                         totals["macs"] - conv1["ops"] + c.value) for c in variant_ops]
    no_classifier = totals["params"] - fc["params"]
    ratio_alternatives = [Candidate("GoogLeNet without its classifier", alexnet / no_classifier)]
    if owt is not None:
        ratio_alternatives.append(Candidate("against the single-tower AlexNet (alexnet-owt)", owt / totals["params"]))
    checks = {
        ("MACs", "1.5 billion"): Check(None, totals["macs"], alternatives=swapped),
        ("layers", "22"): Check(None, sum(e["depth"] for e in table)),
        ("layers", "27"): Check(None, sum(e["all_depth"] for e in table)),
        ("params", "5 million"): Check(None, totals["params"], alternatives=[
            Candidate("without the classifier", no_classifier)]),
    }
    claims = []
    for published in load(TARGET):
        if published.kind != "claim":
            continue
        if published.unit == "ratio":
            check = Check(published, alexnet / totals["params"], alternatives=ratio_alternatives)
        else:
            template = checks[(published.quantity, published.published_text)]
            check = Check(published, template.computed, alternatives=template.alternatives)
        claims.extend(judge([check]))
    return claims
