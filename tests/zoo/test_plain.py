"""AlexNet and VGG: exact parameters and MACs against hand formulas and torchvision's published counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import archcost

GOLDEN = json.loads((Path(archcost.__file__).parent / "zoo" / "golden" / "plain.json").read_text())

# torchvision's model table (weights=None builds have the same structure): vgg11/13/16/19 without BN, alexnet.
TORCHVISION_PARAMS = {"vgg11": 132_863_336, "vgg13": 133_047_848, "vgg16": 138_357_544, "vgg19": 143_667_240,
                      "alexnet-owt": 61_100_840}

# VGG Table 1 written out again as convs per 224 -> 112 -> 56 -> 28 -> 14 block (independent of the zoo's config).
VGG_BLOCKS = {"vgg11": (1, 1, 2, 2, 2), "vgg13": (2, 2, 2, 2, 2), "vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
VGG_WIDTHS = (64, 128, 256, 512, 512)
FC = ((512 * 7 * 7, 4096), (4096, 4096), (4096, 1000))


def vgg_by_hand(name: str) -> tuple[int, int]:
    params = macs = 0
    c_in, side = 3, 224
    for convs, width in zip(VGG_BLOCKS[name], VGG_WIDTHS):
        for _ in range(convs):
            params += 9 * c_in * width + width
            macs += side * side * 9 * c_in * width
            c_in = width
        side //= 2
    for n_in, n_out in FC:
        params += n_in * n_out + n_out
        macs += n_in * n_out
    return params, macs


@pytest.mark.parametrize("name", sorted(VGG_BLOCKS))
def test_vgg_matches_hand_formula_and_torchvision(name: str) -> None:
    params, macs = vgg_by_hand(name)
    analysis = archcost.analyze(name)
    assert params == TORCHVISION_PARAMS[name] == analysis.totals["params"] == GOLDEN[name]["params"]
    assert macs == analysis.totals["macs"] == GOLDEN[name]["macs"]
    assert analysis.uncounted_ops == {}


def test_vgg16_is_15_47_gmacs() -> None:
    # The widely quoted figure (torchvision: 15.47 "GFLOPS", which are MACs) summed per layer above.
    assert vgg_by_hand("vgg16")[1] == 15_470_264_320


def test_alexnet_two_tower_by_hand() -> None:
    # (c_in per group, c_out, kernel, output side) of bvlc_alexnet; conv2, conv4, conv5 see half the maps (groups=2).
    convs = ((3, 96, 11, 55), (96 // 2, 256, 5, 27), (256, 384, 3, 13), (384 // 2, 384, 3, 13), (384 // 2, 256, 3, 13))
    params = sum(c_in * c_out * k * k + c_out for c_in, c_out, k, _ in convs)
    macs = sum(side * side * c_out * c_in * k * k for c_in, c_out, k, side in convs)
    fc = ((256 * 6 * 6, 4096), (4096, 4096), (4096, 1000))
    params += sum(a * b + b for a, b in fc)
    macs += sum(a * b for a, b in fc)
    assert params == 60_965_224  # the Caffe model's well-known count
    analysis = archcost.analyze("alexnet")
    assert (analysis.totals["params"], analysis.totals["macs"]) == (params, macs) == (
        GOLDEN["alexnet"]["params"], GOLDEN["alexnet"]["macs"])
    assert analysis.layer("features.3")["input_shape"] == (1, 96, 27, 27)
    assert analysis.layer("features.3")["output_shape"] == (1, 256, 27, 27)


def test_alexnet_grouped_weights() -> None:
    model = archcost.build("alexnet")
    assert [tuple(m.weight.shape) for m in model.features if hasattr(m, "weight")] == [
        (96, 3, 11, 11), (256, 48, 5, 5), (384, 256, 3, 3), (384, 192, 3, 3), (256, 192, 3, 3)]


def test_alexnet_owt_matches_torchvision() -> None:
    convs = ((3, 64, 11, 55), (64, 192, 5, 27), (192, 384, 3, 13), (384, 256, 3, 13), (256, 256, 3, 13))
    macs = sum(side * side * c_out * c_in * k * k for c_in, c_out, k, side in convs) + 9216 * 4096 + 4096**2 + 4096000
    analysis = archcost.analyze("alexnet-owt")
    assert analysis.totals["params"] == TORCHVISION_PARAMS["alexnet-owt"] == GOLDEN["alexnet-owt"]["params"]
    assert analysis.totals["macs"] == macs == GOLDEN["alexnet-owt"]["macs"]


def test_num_classes_and_per_layer_sum() -> None:
    analysis = archcost.analyze("vgg11", num_classes=10)
    assert analysis.rows[0]["output_shape"] == (1, 10)
    assert sum(r["own_params"] for r in analysis.rows) == analysis.totals["params"]
