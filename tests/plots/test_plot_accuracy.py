"""``archcost plot accuracy``: the plotted data are the engine's computed values and the published accuracies."""

from __future__ import annotations

import itertools
import math

import pytest
from chart_checks import assert_no_overlap, label_boxes, run_json

import archcost
from archcost.cli import run
from archcost.plots import accuracy_chart, draw

# Five networks whose Pareto front can be worked out by hand (see test_pareto_front).
FIVE = ["mobilenet-v2", "efficientnet-b0", "googlenet", "resnet50", "vgg16"]
PUBLISHED_TOP1 = {"mobilenet-v2": 72.0, "efficientnet-b0": 77.1, "googlenet": 68.7, "resnet50": 77.15,
                  "vgg16": 71.592}


@pytest.fixture(scope="module")
def chart():
    return accuracy_chart(archs=FIVE)


@pytest.fixture(scope="module")
def figure(chart):
    return draw(chart)


def test_json_carries_the_engines_macs_and_params(capsys):
    document = run_json(capsys, ["plot", "accuracy", *FIVE, "--format", "json"])
    assert document["schema"] == "archcost.plot/1" and document["convention"] == "paper"
    assert [p["arch"] for p in document["rows"]] == FIVE
    for point in document["rows"]:
        totals = archcost.analyze(point["arch"]).totals  # each at its native input: the measured resolution here
        assert point["macs"] == totals["macs"] and point["params"] == totals["params"]
        assert point["flops"] == 2 * totals["macs"]
        assert point["x"] == pytest.approx(totals["macs"] / 1e9, rel=1e-12)
        assert point["top1_percent"] == PUBLISHED_TOP1[point["arch"]]
        assert point["source"]
    assert "MAC" in document["caption"][0] and "'paper' convention" in document["caption"][0]


def test_pareto_front(chart):
    # By hand: by cost mobilenet-v2 (0.30 G, 72.0) < efficientnet-b0 (0.39 G, 77.1) < googlenet (1.58 G, 68.7)
    # < resnet50 (3.86 G, 77.15) < vgg16 (15.5 G, 71.6): each new best accuracy is on the front.
    front = {p["arch"] for p in chart.rows if p["pareto"]}
    assert front == {"mobilenet-v2", "efficientnet-b0", "resnet50"}


def test_the_figure_plots_those_values(chart, figure):
    axes = figure.axes[0]
    plotted = {}
    sizes = {}
    for collection in axes.collections:
        gid = collection.get_gid() or ""
        if not gid.startswith("family:"):
            continue
        _, family, *multi = gid.split(":")
        members = [p for p in chart.rows if p["family"] == family and ((p["crops"] or 1) > 1) == bool(multi)]
        for point, (x, y), size in zip(members, collection.get_offsets(), collection.get_sizes()):
            plotted[point["arch"]] = (x, y)
            sizes[point["arch"]] = size
    for point in chart.rows:
        assert plotted[point["arch"]] == (pytest.approx(point["macs"] / 1e9), pytest.approx(point["top1_percent"]))
    # Bubble area proportional to parameters: the same area per parameter for every point.
    ratios = [sizes[p["arch"]] / p["params"] for p in chart.rows]
    assert max(ratios) == pytest.approx(min(ratios), rel=1e-9)
    pareto = next(line for line in axes.lines if line.get_gid() == "pareto")
    front = sorted((p for p in chart.rows if p["pareto"]), key=lambda p: p["x"])
    assert list(pareto.get_xdata()) == pytest.approx([p["x"] for p in front])
    assert axes.get_xscale() == "log" and "multiply-accumulates" in axes.get_xlabel()


def test_every_point_is_labelled_without_overlaps(chart, figure):
    axes = figure.axes[0]
    boxes = label_boxes(figure, axes)
    assert set(boxes) == {f"label:{p['arch']}" for p in chart.rows}
    assert_no_overlap(boxes)
    caption = next(t for t in figure.texts if t.get_gid() == "caption").get_text()
    assert "arXiv:1905.11946 Table 2" in caption and "BVLC GoogLeNet weights" in caption


# The ImageNet chart of the report (GMACs, top-1, millions of parameters), typed in so the crowded case of the label
# placement is tested without tracing thirty networks: placement depends only on these positions and sizes.
CROWD = [("alexnet", "alexnet", 0.724, 59.3, 61.0), ("alexnet-owt", "alexnet", 0.714, 56.5, 61.1),
         ("vgg11", "vgg", 7.61, 69.0, 132.9), ("vgg13", "vgg", 11.31, 69.9, 133.0), ("vgg16", "vgg", 15.47, 71.6, 138.4),
         ("vgg19", "vgg", 19.63, 72.4, 143.7), ("googlenet", "inception", 1.58, 68.7, 7.0),
         ("resnet18", "resnet", 1.81, 69.8, 11.7), ("resnet34", "resnet", 3.66, 75.5, 21.8),
         ("resnet50", "resnet", 3.86, 77.15, 25.6), ("resnet101", "resnet", 7.57, 78.25, 44.5),
         ("resnet152", "resnet", 11.28, 78.57, 60.2), ("resnet50-v1.5", "resnet", 4.09, 76.1, 25.6),
         ("resnet101-v1.5", "resnet", 7.80, 77.4, 44.5), ("resnet152-v1.5", "resnet", 11.51, 78.3, 60.2),
         ("preact-resnet152", "preact-resnet", 23.0, 78.9, 60.2),
         ("inception-resnet-v1", "inception-resnet", 6.21, 78.7, 22.8), ("resnext50-32x4d", "resnext", 4.23, 77.8, 25.0),
         ("resnext101-32x8d", "resnext", 16.41, 79.3, 88.8), ("resnext101-64x4d", "resnext", 15.46, 79.6, 83.5),
         ("efficientnet-b0", "efficientnet", 0.386, 77.1, 5.3), ("efficientnet-b1", "efficientnet", 0.687, 79.1, 7.8),
         ("efficientnet-b2", "efficientnet", 0.994, 80.1, 9.1), ("efficientnet-b3", "efficientnet", 1.83, 81.6, 12.2),
         ("efficientnet-b4", "efficientnet", 4.39, 82.9, 19.3), ("efficientnet-b5", "efficientnet", 10.27, 83.6, 30.4),
         ("efficientnet-b6", "efficientnet", 19.07, 84.0, 43.0), ("efficientnet-b7", "efficientnet", 37.7, 84.3, 66.3),
         ("mobilenet-v1", "mobilenet", 0.569, 70.6, 4.2), ("mobilenet-v2", "mobilenet", 0.301, 72.0, 3.5)]


def _crowded_figure():
    from archcost.plots import ChartData
    from archcost.plots.chart_data import _pareto

    rows = [{"arch": a, "family": f, "x": x, "top1_percent": top1, "params": params * 1e6}
            for a, f, x, top1, params in CROWD]
    _pareto(rows)
    crowd = ChartData(kind="accuracy", title="crowd", rows=rows, columns=(), caption=["caption"],
                      meta={"x_label": "GMACs", "y_label": "top-1 accuracy (%)"})
    return draw(crowd)


def test_a_crowded_chart_labels_every_point_without_overlaps():
    figure = _crowded_figure()
    boxes = label_boxes(figure, figure.axes[0])
    assert len(boxes) == len(CROWD)
    assert_no_overlap(boxes)


@pytest.mark.parametrize("x, scale", [("flops", lambda t: 2 * t["macs"] / 1e9), ("params", lambda t: t["params"] / 1e6)])
def test_other_x_axes(capsys, x, scale):
    document = run_json(capsys, ["plot", "accuracy", "resnet50", "googlenet", "--x", x, "--format", "json"])
    for point in document["rows"]:
        assert point["x"] == pytest.approx(scale(archcost.analyze(point["arch"]).totals), rel=1e-12)


def test_latency_axis_from_a_bench_file(capsys, bench_file):
    document = run_json(capsys, ["plot", "accuracy", "googlenet", "resnet18", "resnet50", "--x", "latency",
                                 "--bench", str(bench_file), "--format", "json"])
    # The fixture times googlenet 20 ms and resnet18 25 ms at batch 1; resnet50 has no timing.
    assert {p["arch"]: p["x"] for p in document["rows"]} == {"googlenet": 20.0, "resnet18": 25.0}
    assert document["untimed"] == ["resnet50"]
    assert "Test CPU (fixture)" in document["x_label"]


def test_cifar_dataset(capsys):
    document = run_json(capsys, ["plot", "accuracy", "--dataset", "cifar10", "resnet20", "resnet56",
                                 "--format", "csv"][:-2] + ["--format", "json"])
    assert {p["arch"]: p["top1_percent"] for p in document["rows"]} == {"resnet20": 91.25, "resnet56": 93.03}
    assert all(p["input_shape"] == [1, 3, 32, 32] for p in document["rows"])


@pytest.mark.parametrize("suffix, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_renders_each_format_and_reproducibly(tmp_path, suffix, magic):
    out = tmp_path / f"accuracy.{suffix}"
    assert run(["plot", "accuracy", *FIVE[:3], "--out", str(out)]) == 0
    data = out.read_bytes()
    assert data.startswith(magic)
    again = tmp_path / f"again.{suffix}"
    assert run(["plot", "accuracy", *FIVE[:3], "--out", str(again)]) == 0
    assert again.read_bytes() == data  # byte for byte: no dates, fixed SVG salt
    if suffix != "png":
        assert b"CreationDate" not in data and b"<dc:date>" not in data


def test_csv_prints_the_data(capsys):
    assert run(["plot", "accuracy", "resnet50", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("arch,family,dataset,input_shape,top1_percent")
    macs = archcost.analyze("resnet50").totals["macs"]
    assert lines[1].startswith(f"resnet50,resnet,imagenet,1x3x224x224,77.15,93.29,{macs},{2 * macs},")


@pytest.mark.parametrize("argv, message", [
    (["plot", "accuracy", "resnt50", "--format", "json"], "did you mean resnet50"),
    (["plot", "accuracy", "highway-cifar-20", "--dataset", "cifar10", "--format", "json"], "no published"),
    (["plot", "accuracy", "--x", "latency", "--format", "json"], "--bench"),
    (["plot", "accuracy", "resnet50"], "--out FILE.png|svg|pdf"),
])
def test_bad_input_is_one_line(capsys, argv, message):
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_unknown_image_suffix_fails_before_work(tmp_path, capsys):
    out = tmp_path / "chart.jpg"
    assert run(["plot", "accuracy", "resnet50", "--out", str(out)]) == 2
    assert ".png, .svg or .pdf" in capsys.readouterr().err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_x_values_are_finite_and_positive(chart):
    assert all(math.isfinite(p["x"]) and p["x"] > 0 for p in chart.rows)


def test_ten_crop_accuracies_are_outlined_differently_with_a_legend_entry(chart, figure):
    # From the published file's evaluation text: resnet50's 77.15% is a 10-crop figure (He et al. 2015, Table 3),
    # the other four are single-crop.
    crops = {p["arch"]: p["crops"] for p in chart.rows}
    assert crops == {"mobilenet-v2": 1, "efficientnet-b0": 1, "googlenet": 1, "resnet50": 10, "vgg16": 1}
    axes = figure.axes[0]
    styles = {}
    for collection in axes.collections:
        gid = collection.get_gid() or ""
        if gid.startswith("family:"):
            dashes = collection.get_linestyle()[0][1]
            styles[gid] = dashes is not None and len(dashes) > 0
    assert styles == {"family:mobilenet": False, "family:efficientnet": False, "family:inception": False,
                      "family:resnet:multi-crop": True, "family:vgg": False}
    legend_texts = [t.get_text() for legend in (axes.get_legend(), *[a for a in axes.artists]) if legend
                    for t in getattr(legend, "texts", [])]
    assert "10 crops (dotted outline)" in legend_texts and "1 crop (solid outline)" in legend_texts


def test_no_label_is_struck_through_by_the_pareto_front(chart, figure):
    from archcost.plots.labels import Box, crosses

    boxes = label_boxes(figure, figure.axes[0])
    pareto = next(line for line in figure.axes[0].lines if line.get_gid() == "pareto")
    shown = [tuple(xy) for xy in pareto.get_transform().transform(pareto.get_xydata())]
    for gid, extent in boxes.items():
        box = Box(extent.x0, extent.y0, extent.x1, extent.y1)
        assert not any(crosses(box, a, b) for a, b in itertools.pairwise(shown)), f"the Pareto front crosses {gid}"


def test_the_crowded_chart_keeps_labels_off_the_pareto_front():
    from archcost.plots.labels import Box, crosses

    figure = _crowded_figure()
    boxes = label_boxes(figure, figure.axes[0])
    pareto = next(line for line in figure.axes[0].lines if line.get_gid() == "pareto")
    shown = [tuple(xy) for xy in pareto.get_transform().transform(pareto.get_xydata())]
    struck = [gid for gid, e in boxes.items()
              if any(crosses(Box(e.x0, e.y0, e.x1, e.y1), a, b) for a, b in itertools.pairwise(shown))]
    assert struck == []


@pytest.mark.parametrize(("evaluation", "crops"), [("10 crops", 10), ("1 centre crop", 1), ("1 crop", 1),
                                                   ("10 patches (4 corners + centre, mirrored)", 10),
                                                   ("1 crop of 320x320 (trained on 224x224 crops)", 1),
                                                   ("test set", None), ("validation split after 5 epochs", None)])
def test_crops_are_read_from_the_sourced_evaluation_text(evaluation, crops):
    from dataclasses import replace

    from archcost.plots.published import published_accuracy

    assert replace(published_accuracy("imagenet")[0], evaluation=evaluation).crops == crops


def test_no_label_covers_another_networks_bubble_on_the_crowded_chart():
    # resnet152 / resnet152-v1.5 and vgg16 / vgg19 sit nearly on top of each other: each keeps its own label, clear
    # of the other's bubble (a label moved away from its bubble gets a leader line, see labels.py).
    from archcost.plots.draw_accuracy import SIZE_PT2_AT_MAX

    figure = _crowded_figure()
    axes = figure.axes[0]
    boxes = label_boxes(figure, axes)
    px_per_pt = figure.dpi / 72.0
    scale = SIZE_PT2_AT_MAX / max(params for *_, params in CROWD)
    covered = []
    for arch, _, x, top1, params in CROWD:
        cx, cy = axes.transData.transform((x, top1))
        radius = math.sqrt(scale * params) / 2 * px_per_pt  # the drawn area: SIZE_PT2_AT_MAX * params / largest
        for gid, box in boxes.items():
            nearest = (min(max(cx, box.x0), box.x1), min(max(cy, box.y0), box.y1))
            if gid != f"label:{arch}" and math.dist(nearest, (cx, cy)) < radius:
                covered.append((gid, arch))
    assert covered == []
