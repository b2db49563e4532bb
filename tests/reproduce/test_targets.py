"""Every reproduce target: computed values against hand computations written here from the papers' formulas, and
the set of rows each target flags as disagreeing (a golden per target)."""

from __future__ import annotations

import pytest

from archcost.reproduction import TARGETS, reproduce
from archcost.reproduction.core import Reproduction


def _value(r: Reproduction, row: str, quantity: str) -> object:
    for x in (*r.rows, *r.claims):
        if x.row == row and x.quantity == quantity:
            return x
    raise KeyError((row, quantity))


def conv(h: int, c_in: int, c_out: int, k: int) -> int:
    """MACs of a k x k conv producing an h x h x c_out map."""
    return h * h * k * k * c_in * c_out


FLAGGED = {
    "googlenet-table1": [
        "conv1 / params", "conv1 / ops", "inception (4a) / params", "inception (4b) / params",
        "inception (4c) / params", "inception (4d) / params", "inception (4e) / params", "inception (5a) / params",
        "inception (5a) / ops", "inception (5b) / params",
        "12x fewer parameters than Krizhevsky et al. (AlexNet) / params ratio AlexNet / GoogLeNet",
        "Seulement 5 millions de paramètres / params", "12 fois moins qu'AlexNet / params ratio AlexNet / GoogLeNet"],
    "inception-module": ["bottleneck: total / MACs"],
    "keras-fmnist": [],
    "resnet-table1": [],
    "resnet-cifar": [],
    "efficientnet-table2": ["EfficientNet-B2 / params", "EfficientNet-B1 / MACs", "EfficientNet-B4 / MACs",
                            "EfficientNet-B5 / MACs"],
    "stochastic-depth": [],
    "preact-cifar": ["ResNet-1001 pre-act / params"],
    "resnext-budget": [],
    "vgg-alexnet": ["VGG-16 / MACs"],
    "highway-vs-residual": [],
}

# Printed figures that are the computed value cut, not rounded, at their printed precision.
TRUNCATED = {
    "googlenet-table1": ["inception (3a) / params", "inception (4a) / ops", "linear / params",
                         "1.5 billion multiply-adds at inference / MACs"],
    "resnet-table1": ["ResNet-34 (v1) / MACs", "ResNet-50 (v1) / MACs"],
    "efficientnet-table2": ["EfficientNet-B7 / MACs"],
    "resnext-budget": ["ResNet-50 / params"],
    "vgg-alexnet": ["AlexNet / params", "34-layer baseline is only 18% of VGG-19 / MACs ratio ResNet-34 / VGG-19"],
}


@pytest.mark.parametrize("target", list(TARGETS))
def test_flagged_rows_are_the_golden_set(target: str) -> None:
    r = reproduce(target)
    assert r.flagged() == FLAGGED[target]
    assert r.truncated() == TRUNCATED.get(target, [])
    for x in (*r.rows, *r.claims):
        if x.status in ("disagrees", "truncated"):
            assert x.explanation  # every disagreement says what was found, or that nothing was
        if x.status == "truncated":  # says what rounding would have printed, once
            assert x.explanation.count("rounded, it would read") == 1
        facts = x.explanation.split("; ")
        assert len(facts) == len(set(facts)), x.explanation  # each fact once


def test_googlenet_rows_by_hand() -> None:
    r = reproduce("googlenet-table1")
    conv1 = 7 * 7 * 3 * 64 + 64
    assert _value(r, "conv1", "params").computed == conv1
    assert _value(r, "conv1", "ops").computed == conv(112, 3, 64, 7)
    assert _value(r, "conv2", "params").computed == 64 * 64 + 64 + 9 * 64 * 192 + 192
    assert _value(r, "conv2", "ops").computed == conv(56, 64, 64, 1) + conv(56, 64, 192, 3)
    weights_3a = 192 * 64 + 192 * 96 + 9 * 96 * 128 + 192 * 16 + 25 * 16 * 32 + 192 * 32
    assert _value(r, "inception (3a)", "params").computed == weights_3a + 64 + 96 + 128 + 16 + 32 + 32
    # conv1's printed 2.7K / 34M fit a depthwise-separable 7x7 with depth multiplier 8: 7*7*3*8 + 24*64 weights.
    separable = 7 * 7 * 3 * 8 + 3 * 8 * 64
    explanation = _value(r, "conv1", "params").explanation
    assert "depth multiplier 8" in explanation and f"{separable:,} gives 2.7K" in explanation
    assert f"{112 * 112 * separable:,} gives 34M" in _value(r, "conv1", "ops").explanation
    # The linear row's 1000K is 1024 x 1000 weights read with K = 1024.
    assert "weights only (biases not counted): 1,024,000 gives 1,000K" in _value(r, "linear", "params").explanation
    assert _value(r, "22 layers deep counting only layers with parameters", "layers").status == "matches"
    assert _value(r, "27 layers counting pooling too", "layers").status == "matches"


def test_inception_module_terms_by_hand() -> None:
    r = reproduce("inception-module")
    naive = conv(28, 256, 128, 1) + conv(28, 256, 192, 3) + conv(28, 256, 96, 5)
    bottleneck = conv(28, 256, 64 + 64 + 128 + 64, 1) + conv(28, 64, 192, 3) + conv(28, 64, 96, 5)
    assert naive == 854_196_224 and bottleneck == 271_351_808
    assert _value(r, "naive: total", "MACs").computed == naive
    total = _value(r, "bottleneck: total", "MACs")
    assert total.computed == bottleneck and total.status == "disagrees"
    assert f"[3x3 conv 192] ({conv(28, 64, 192, 3):,}) counted twice" in total.explanation
    assert _value(r, "naive: output depth", "channels").computed == 128 + 192 + 96 + 256
    assert _value(r, "bottleneck: output depth", "channels").computed == 128 + 192 + 96 + 64


def test_keras_totals_by_hand() -> None:
    r = reproduce("keras-fmnist")
    assert _value(r, "conv2d", "params").computed == 7 * 7 * 1 * 64 + 64
    assert _value(r, "batch_normalization", "params").computed == 4 * 64  # gamma, beta, moving mean and variance
    assert _value(r, "Non-trainable params", "params").computed == 2 * (64 + 192)
    assert _value(r, "Total params", "size").explanation.startswith("K read as 1024")
    assert r.counts() == {"matches": 42, "rounding": 2}


def test_resnet_v15_difference_by_hand() -> None:
    # v1.5 moves the stride from the first 1x1 to the 3x3 of stages 2-4: that 1x1 then runs at the input size.
    extra = sum((h * h - (h // 2) ** 2) * c_in * width for h, c_in, width in ((56, 256, 128), (28, 512, 256),
                                                                              (14, 1024, 512)))
    r = reproduce("resnet-table1")
    for depth in (50, 101, 152):
        assert _value(r, f"ResNet-{depth}: v1.5 - v1", "MACs").computed == extra
    row = _value(r, "ResNet-50 (v1)", "MACs")
    assert (row.status, row.explanation) == ("truncated", "rounded, it would read 3.9x10^9")


def cifar_resnet_params(n: int, classes: int = 10) -> int:
    """6n+2 layers, widths 16/32/64, option A shortcuts, BN (2 params per channel) after every conv."""
    total = 3 * 9 * 16 + 2 * 16
    c_in = 16
    for width in (16, 32, 64):
        for _ in range(n):
            total += 9 * c_in * width + 9 * width * width + 4 * width
            c_in = width
    return total + 64 * classes + classes


def test_cifar_params_by_hand() -> None:
    r = reproduce("resnet-cifar")
    for n in (3, 5, 7, 9, 18, 200):
        assert _value(r, f"ResNet-{6 * n + 2}", "params").computed == cifar_resnet_params(n)


def test_stochastic_depth_saving_by_hand() -> None:
    blocks = []  # MACs of each residual branch of ResNet-110, in order
    for h, width in ((32, 16), (16, 32), (8, 64)):
        for b in range(18):
            c_in = width // 2 if b == 0 and width > 16 else width
            blocks.append(conv(h, c_in, width, 3) + conv(h, width, width, 3))
    total = conv(32, 3, 16, 3) + sum(blocks) + 64 * 10
    skipped = sum(l / 54 * 0.5 * m for l, m in enumerate(blocks, start=1))  # 1 - p_l = l / L (1 - p_L)
    r = reproduce("stochastic-depth")
    assert _value(r, "ResNet-110 inference (every block runs)", "MACs").computed == total
    assert _value(r, "ResNet-110 expected residual blocks in training", "blocks").computed == pytest.approx(40.25)
    # A training step: every conv and the classifier cost 3x their forward (forward, grad-input, grad-weight), the
    # stem 2x (its input needs no gradient); a dropped block saves all three of its parts.
    stem = conv(32, 3, 16, 3)
    step = 3 * total - stem
    assert _value(r, "ResNet-110 training step, every block (forward + backward)", "MACs").computed == step
    saving = _value(r, "about 25% of training time saved", "saving")
    assert saving.computed == pytest.approx(100 * 3 * skipped / step, abs=1e-6)
    assert saving.status == "rounding"


def test_highway_gate_cost_by_hand() -> None:
    gates = 0
    c_in = 16
    for width in (16, 32, 64):
        for _ in range(3):
            gates += 9 * c_in * width + width  # T = sigmoid(conv3x3(x) + b_T)
            c_in = width
    r = reproduce("highway-vs-residual")
    assert _value(r, "highway-cifar-20 - resnet20", "params").computed == gates


def test_vgg16_convolutions_only_explains_15_3() -> None:
    r = reproduce("vgg-alexnet")
    classifier = 7 * 7 * 512 * 4096 + 4096 * 4096 + 4096 * 1000
    vgg16 = _value(r, "VGG-16", "MACs")
    assert f"{vgg16.computed - classifier:,} gives 15.3 billion" in vgg16.explanation
    assert _value(r, "152 layers: 8x deeper than VGG", "depth ratio ResNet-152 / VGG-19").computed == 8


def test_paper_style_rows_lay_out_table1() -> None:
    from archcost.reproduction import models
    from archcost.reproduction.googlenet import paper_style_rows

    rows = paper_style_rows(models.analysis("googlenet"))
    assert [r["type"] for r in rows[:5]] == ["convolution", "max pool", "convolution", "max pool", "inception (3a)"]
    assert (rows[0]["patch"], rows[0]["output"], rows[0]["depth"]) == ("7x7/2", "112x112x64", 1)
    assert (rows[2]["patch"], rows[2]["n3x3_reduce"], rows[2]["n3x3"], rows[2]["depth"]) == ("3x3/1", 64, 192, 2)
    widths = [rows[4][k] for k in ("n1x1", "n3x3_reduce", "n3x3", "n5x5_reduce", "n5x5", "pool_proj")]
    assert widths == [64, 96, 128, 16, 32, 32] and rows[4]["output"] == "28x28x256"
    assert rows[-1]["type"] == "softmax" and rows[-2]["params"] == 1024 * 1000 + 1000
    assert sum(r["depth"] for r in rows) == 22 and sum(r["all_depth"] for r in rows) == 27


@pytest.mark.parametrize("target, row, quantity, arch, layer, key, base, rounded", [
    # GoogLeNet Table 1: inception (3a)'s 159K params (K = 1024: 163,696 / 1024 = 159.86K), 4a's 73M ops.
    ("googlenet-table1", "inception (3a)", "params", "googlenet", "inception3a", "params", 1024, "160K"),
    ("googlenet-table1", "inception (4a)", "ops", "googlenet", "inception4a", "macs", 1000, "74M"),
    # The paper's "1.5 billion multiply-adds" (1.58 billion) and AlexNet's "60 million parameters" (60.97 million).
    ("googlenet-table1", "1.5 billion multiply-adds at inference", "MACs", "googlenet", "", "macs", 1000,
     "1.6 billion"),
    ("vgg-alexnet", "AlexNet", "params", "alexnet", "", "params", 1000, "61 million"),
])
def test_truncated_figures(target: str, row: str, quantity: str, arch: str, layer: str, key: str, base: int,
                           rounded: str) -> None:
    """A printed figure that is the computed value cut (not rounded) at its printed precision is 'truncated'."""
    import math
    from decimal import Decimal

    import archcost
    from archcost.reproduction.figures import load
    from archcost.reproduction.status import TRUNCATED, status

    published = next(p for p in load(target) if p.row == row and p.quantity == quantity)
    computed = archcost.analyze(arch).layer(layer)[key]
    # By hand: the computed value in the figure's unit, cut at the printed decimals, is the printed number; rounded
    # half up it is not.
    scale = published.figure.scale_for(base)
    quantum = Decimal(10) ** -published.figure.decimals
    in_unit = Decimal(computed) / scale
    assert math.floor(in_unit / quantum) * quantum == published.figure.digits
    assert in_unit.quantize(quantum) != published.figure.digits
    assert status(published.figure, computed, base=base) == TRUNCATED
    x = _value(reproduce(target), row, quantity)
    assert (x.published_text, x.computed, x.status) == (published.published_text, computed, "truncated")
    assert f"rounded, it would read {rounded}" in x.explanation
