"""Inception-ResNet-v1: parameters and MACs against a hand computation from the paper's figures."""

from __future__ import annotations

import json
from pathlib import Path

import archcost

GOLDEN = json.loads((Path(archcost.__file__).parent / "zoo" / "golden" / "inception_resnet.json").read_text())


class Tally:
    """Sums conv + BN (bias-free conv, 2 BN parameters per channel) and plain biased convs at a given output side."""

    def __init__(self) -> None:
        self.params = self.macs = 0

    def conv_bn(self, c_in: int, c_out: int, kh: int, kw: int, side: int) -> int:
        self.params += c_in * c_out * kh * kw + 2 * c_out
        self.macs += side * side * c_in * c_out * kh * kw
        return c_out

    def expand(self, c_in: int, c_out: int, side: int) -> None:  # 1x1 filter expansion: bias, no BN
        self.params += c_in * c_out + c_out
        self.macs += side * side * c_in * c_out


def by_hand() -> tuple[int, int]:
    t = Tally()
    # Figure 14 stem: 299 -> 149 -> 147 -> 147 -> (pool) 73 -> 73 -> 71 -> 35.
    t.conv_bn(3, 32, 3, 3, 149)
    t.conv_bn(32, 32, 3, 3, 147)
    t.conv_bn(32, 64, 3, 3, 147)
    t.conv_bn(64, 80, 1, 1, 73)
    t.conv_bn(80, 192, 3, 3, 71)
    t.conv_bn(192, 256, 3, 3, 35)
    for _ in range(5):  # Figure 10, at 35x35x256
        t.conv_bn(256, 32, 1, 1, 35)
        t.conv_bn(256, 32, 1, 1, 35), t.conv_bn(32, 32, 3, 3, 35)
        t.conv_bn(256, 32, 1, 1, 35), t.conv_bn(32, 32, 3, 3, 35), t.conv_bn(32, 32, 3, 3, 35)
        t.expand(96, 256, 35)
    # Figure 7, k, l, m, n = 192, 192, 256, 384: 35 -> 17, 256 + 384 + 256 = 896.
    t.conv_bn(256, 384, 3, 3, 17)
    t.conv_bn(256, 192, 1, 1, 35), t.conv_bn(192, 192, 3, 3, 35), t.conv_bn(192, 256, 3, 3, 17)
    for _ in range(10):  # Figure 11, at 17x17x896
        t.conv_bn(896, 128, 1, 1, 17)
        t.conv_bn(896, 128, 1, 1, 17), t.conv_bn(128, 128, 1, 7, 17), t.conv_bn(128, 128, 7, 1, 17)
        t.expand(256, 896, 17)
    # Figure 12: 17 -> 8, 896 + 384 + 256 + 256 = 1792.
    t.conv_bn(896, 256, 1, 1, 17), t.conv_bn(256, 384, 3, 3, 8)
    t.conv_bn(896, 256, 1, 1, 17), t.conv_bn(256, 256, 3, 3, 8)
    t.conv_bn(896, 256, 1, 1, 17), t.conv_bn(256, 256, 3, 3, 17), t.conv_bn(256, 256, 3, 3, 8)
    for _ in range(5):  # Figure 13, at 8x8x1792
        t.conv_bn(1792, 192, 1, 1, 8)
        t.conv_bn(1792, 192, 1, 1, 8), t.conv_bn(192, 192, 1, 3, 8), t.conv_bn(192, 192, 3, 1, 8)
        t.expand(384, 1792, 8)
    return t.params + 1792 * 1000 + 1000, t.macs + 1792 * 1000


def test_matches_hand_computation() -> None:
    params, macs = by_hand()
    analysis = archcost.analyze("inception-resnet-v1")
    assert (analysis.totals["params"], analysis.totals["macs"]) == (params, macs)
    assert (params, macs) == (GOLDEN["inception-resnet-v1"]["params"], GOLDEN["inception-resnet-v1"]["macs"])
    assert analysis.uncounted_ops == {}


def test_grid_sizes_follow_figure_15() -> None:
    analysis = archcost.analyze("inception-resnet-v1")
    shapes = {name: analysis.layer(name)["output_shape"] for name in ("stem", "a", "reduction_a", "b",
                                                                       "reduction_b", "c", "")}
    assert shapes == {"stem": (1, 256, 35, 35), "a": (1, 256, 35, 35), "reduction_a": (1, 896, 17, 17),
                      "b": (1, 896, 17, 17), "reduction_b": (1, 1792, 8, 8), "c": (1, 1792, 8, 8), "": (1, 1000)}
    model = archcost.build("inception-resnet-v1")
    assert (len(model.a), len(model.b), len(model.c)) == (5, 10, 5)
    assert model.dropout.p == 0.2  # keep probability 0.8


def test_residual_scaling_adds_multiplies_only() -> None:
    plain = archcost.analyze("inception-resnet-v1").totals
    scaled = archcost.analyze("inception-resnet-v1", residual_scale=0.2).totals
    assert (scaled["params"], scaled["macs"]) == (plain["params"], plain["macs"])
    # one multiply per residual element: 5 x 256 x 35^2 + 10 x 896 x 17^2 + 5 x 1792 x 8^2
    assert scaled["muls"] - plain["muls"] == 5 * 256 * 35**2 + 10 * 896 * 17**2 + 5 * 1792 * 64
