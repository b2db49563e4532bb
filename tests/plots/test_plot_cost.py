"""``archcost plot layers | inception | scaling``: data equal to the engine's and to hand formulas."""

from __future__ import annotations

import math

import numpy
import pytest
from chart_checks import run_json

import archcost
from archcost.cli import run
from archcost.plots import draw, inception_chart, layers_chart, scaling_chart


@pytest.fixture(scope="module")
def googlenet_layers():
    return layers_chart(arch="googlenet")


def test_googlenet_blocks_are_the_rows_of_table_1(googlenet_layers):
    names = [r["block"] for r in googlenet_layers.rows]
    assert names == ["conv1", "conv2_reduce", "conv2", "inception3a", "inception3b", "inception4a", "inception4b",
                     "inception4c", "inception4d", "inception4e", "inception5a", "inception5b", "fc"]
    analysis = archcost.analyze("googlenet")
    for row in googlenet_layers.rows:
        layer = analysis.layer(row["block"])
        assert (row["macs"], row["params"]) == (layer["macs"], layer["params"])
    # The blocks own the whole network: pools and dropout cost no MACs and hold no parameters.
    assert sum(r["macs"] for r in googlenet_layers.rows) == analysis.totals["macs"]
    assert sum(r["params"] for r in googlenet_layers.rows) == analysis.totals["params"]
    # conv1 by hand: 7x7x3 kernels, 64 filters, 112x112 outputs.
    assert googlenet_layers.rows[0]["macs"] == 7 * 7 * 3 * 64 * 112 * 112


def test_layers_figure_draws_those_values(googlenet_layers):
    figure = draw(googlenet_layers)
    macs_axes, params_axes = figure.axes
    assert [p.get_width() for p in macs_axes.patches] == pytest.approx([r["macs"] / 1e6 for r in googlenet_layers.rows])
    assert [p.get_width() for p in params_axes.patches] == pytest.approx(
        [r["params"] / 1e6 for r in googlenet_layers.rows])


def test_resnet50_expands_stages_into_residual_units(capsys):
    document = run_json(capsys, ["plot", "layers", "resnet50", "--format", "json"])
    blocks = [r["block"] for r in document["rows"]]
    assert blocks[:2] == ["stem.conv", "stem.bn"] and blocks[-1] == "fc"
    assert sum(b.startswith("layer") for b in blocks) == 3 + 4 + 6 + 3
    assert sum(r["macs"] for r in document["rows"]) == document["total_macs"] == archcost.analyze("resnet50").totals["macs"]
    # --depth 1 shows the four stages whole.
    stages = run_json(capsys, ["plot", "layers", "resnet50", "--depth", "1", "--format", "json"])
    assert [r["block"] for r in stages["rows"]] == ["stem", "layer1", "layer2", "layer3", "layer4", "fc"]


def test_inception_branches_by_hand(capsys):
    document = run_json(capsys, ["plot", "inception", "--format", "json"])
    rows = {(r["module"], r["branch"]): r for r in document["rows"]}
    hw, c = 28 * 28, 256  # the lecture's module: 28x28x256 input, 128 1x1, 192 3x3, 96 5x5
    assert rows[("inception-naive", 1)]["macs"] == hw * c * 128
    assert rows[("inception-naive", 2)]["macs"] == hw * c * 9 * 192
    assert rows[("inception-naive", 3)]["macs"] == hw * c * 25 * 96
    assert rows[("inception-naive", 4)]["macs"] == 0
    assert document["modules"]["inception-naive"]["macs"] == 854_196_224  # the lecture's "854M"
    # Bottleneck: 1x1 reductions to 64 / 64 before the 3x3 and 5x5, and a 64-wide 1x1 after the pool.
    assert rows[("inception-bottleneck", 2)]["macs"] == hw * c * 64 + hw * 64 * 9 * 192
    assert rows[("inception-bottleneck", 3)]["macs"] == hw * c * 64 + hw * 64 * 25 * 96
    assert rows[("inception-bottleneck", 4)]["macs"] == hw * c * 64
    assert rows[("inception-bottleneck", 2)]["path"] == "1x1 conv → 3x3 conv"
    for name in ("inception-naive", "inception-bottleneck"):
        assert document["modules"][name]["macs"] == archcost.analyze(name).totals["macs"]
        assert sum(r["macs"] for r in document["rows"] if r["module"] == name) == document["modules"][name]["macs"]


def test_inception_figure_stacks_the_branches():
    chart = inception_chart()
    figure = draw(chart)
    macs_axes = figure.axes[0]
    for branch in (1, 2, 3, 4):
        patches = [p for p in macs_axes.patches if p.get_gid() == f"macs:branch{branch}"]
        expected = [r["macs"] / 1e6 for r in chart.rows if r["branch"] == branch]
        assert [p.get_height() for p in patches] == pytest.approx(expected)
    totals = [t.get_text() for t in macs_axes.texts]
    assert "854.2M" in totals and "271.4M" in totals


@pytest.fixture(scope="module")
def scaling():
    return scaling_chart()


def test_scaling_exponents_are_near_theory(scaling):
    fits = scaling.meta["fits"]
    caption = " ".join(scaling.caption)
    for curve, ideal in (("width", 2.0), ("depth", 1.0), ("resolution", 2.0), ("compound", None)):
        fit = fits[curve]
        if ideal is not None:
            assert fit["theory"] == ideal
        # The exponent is the least-squares slope of log MACs on log multiplier, fitted here independently.
        points = [(r["multiplier"], r["macs"]) for r in scaling.rows if r["curve"] == curve]
        slope = float(numpy.polyfit(numpy.log([m for m, _ in points]), numpy.log([v for _, v in points]), 1)[0])
        assert fit["exponent"] == pytest.approx(slope, rel=1e-12)
        # Within 0.1 of the ideal, or the chart says why not, in a sentence of its own.
        off = bool(abs(slope - fit["theory"]) > 0.1)
        assert fit["within_tolerance"] is not off
        assert bool(fit["why"]) is off
        if off:
            assert f"{curve}: fitted {slope:.2f}, ideal {fit['theory']:.2f}, because {fit['why']}." in caption
        else:
            assert f"{curve}: fitted" not in caption
    # Compound scaling targets FLOPs x 2 per unit of phi: alpha * beta^2 * gamma^2 = 1.2 * 1.1^2 * 1.15^2.
    assert fits["compound"]["theory"] == pytest.approx(math.log2(1.2 * 1.1**2 * 1.15**2))


def test_scaling_points_are_the_engines(scaling):
    def point(curve, multiplier):
        return next(r for r in scaling.rows if r["curve"] == curve and r["multiplier"] == multiplier)

    assert point("width", 2.0)["macs"] == archcost.analyze("efficientnet-b0", width_mult=2.0).totals["macs"]
    assert point("resolution", 2.0)["macs"] == archcost.analyze("efficientnet-b0", "3x448x448").totals["macs"]
    # phi = 1: depth 1.2, width 1.1, resolution round(224 * 1.15) = 258, plotted at 2^1.
    compound = point("compound", 2.0)
    assert (compound["depth_mult"], compound["width_mult"], compound["resolution"]) == (1.2, 1.1, 258)
    assert compound["macs"] == archcost.analyze("efficientnet-b0", "3x258x258", depth_mult=1.2,
                                                width_mult=1.1).totals["macs"]
    base = point("width", 1.0)
    assert base["macs"] == archcost.analyze("efficientnet-b0").totals["macs"]


def test_scaling_figure_prints_the_exponents(scaling):
    figure = draw(scaling)
    axes = figure.axes[0]
    for curve, fit in scaling.meta["fits"].items():
        line = next(l for l in axes.lines if l.get_gid() == f"curve:{curve}")
        rows = [r for r in scaling.rows if r["curve"] == curve]
        assert list(line.get_ydata()) == pytest.approx([r["macs"] / 1e9 for r in rows])
        label = next(t for t in axes.texts if t.get_gid() == f"exponent:{curve}")
        assert label.get_text() == f"p = {fit['exponent']:.2f}"


def test_scaling_refuses_a_network_without_multipliers(capsys):
    assert run(["plot", "scaling", "resnet50", "--format", "json"]) == 2
    assert "EfficientNet" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["inception", "layers"])
@pytest.mark.parametrize("suffix, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_renders_each_format(tmp_path, kind, suffix, magic):
    out = tmp_path / f"{kind}.{suffix}"
    argv = ["plot", kind, *(["googlenet"] if kind == "layers" else []), "--out", str(out)]
    assert run(argv) == 0
    assert out.read_bytes().startswith(magic)


def test_the_inception_chart_shows_the_lectures_printed_totals_beside_the_computed():
    from archcost.reproduction.figures import load

    # The printed totals come from the same data file that `archcost reproduce inception-module` compares against.
    printed = {p.row: p for p in load("inception-module")}
    chart = inception_chart()
    for name, kind in (("inception-naive", "naive"), ("inception-bottleneck", "bottleneck")):
        module = chart.meta["modules"][name]
        row = printed[f"{kind}: total"]
        assert module["lecture_macs"] == row.published and module["lecture_text"] == row.published_text
        assert module["macs"] == sum(r["macs"] for r in chart.rows if r["module"] == name)  # computed, by branch
    assert (chart.meta["modules"]["inception-naive"]["lecture_text"],
            chart.meta["modules"]["inception-bottleneck"]["lecture_text"]) == ("854M", "358M")
    assert "The lecture prints 854M for inception-naive" in chart.caption[-1]
    figure = draw(chart)
    notes = {t.get_gid(): t.get_text() for a in figure.axes for t in a.texts if (t.get_gid() or "").startswith("lecture:")}
    assert notes == {"lecture:inception-naive": "lecture: 854M", "lecture:inception-bottleneck": "lecture: 358M"}
    # The note sits above its bar's computed total and inside the axes.
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    axes = figure.axes[0]
    frame = axes.get_window_extent(renderer)
    totals = [t for t in axes.texts if t.get_text() in ("854.2M", "271.4M")]
    for note in (t for t in axes.texts if (t.get_gid() or "").startswith("lecture:")):
        box = note.get_window_extent(renderer)
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1
        assert not any(box.overlaps(t.get_window_extent(renderer)) for t in totals)
