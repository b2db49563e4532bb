"""EfficientNet-B0..B7: torchvision's parameter counts, Table 1's structure and the scaling overrides."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import archcost
from archcost.zoo import efficientnet

GOLDEN = json.loads((Path(archcost.__file__).parent / "zoo" / "golden" / "efficientnet.json").read_text())

# torchvision's model table (efficientnet_b0..b7, the reference implementation's layout) and native resolutions.
TORCHVISION = {
    "efficientnet-b0": (5_288_548, 224), "efficientnet-b1": (7_794_184, 240), "efficientnet-b2": (9_109_994, 260),
    "efficientnet-b3": (12_233_232, 300), "efficientnet-b4": (19_341_616, 380), "efficientnet-b5": (30_389_784, 456),
    "efficientnet-b6": (43_040_704, 528), "efficientnet-b7": (66_347_960, 600),
}


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_params_match_torchvision(name: str) -> None:
    params, resolution = TORCHVISION[name]
    analysis = archcost.analyze(name)
    assert analysis.input_shape == (1, 3, resolution, resolution)
    assert analysis.totals["params"] == params == GOLDEN[name]["params"]
    assert analysis.totals["macs"] == GOLDEN[name]["macs"]
    assert analysis.uncounted_ops == {}
    assert sum(r["own_params"] for r in analysis.rows) == params


def test_b0_follows_table1() -> None:
    analysis = archcost.analyze("efficientnet-b0")
    # Table 1: stage i -> output (channels, side); stage 1 is the stem, 9 the 1x1 conv before pooling.
    expected = {"features.0": (32, 112), "features.1": (16, 112), "features.2": (24, 56), "features.3": (40, 28),
                "features.4": (80, 14), "features.5": (112, 14), "features.6": (192, 7), "features.7": (320, 7),
                "features.8": (1280, 7)}
    for name, (channels, side) in expected.items():
        assert analysis.layer(name)["output_shape"] == (1, channels, side, side)
    model = archcost.build("efficientnet-b0")
    assert [len(model.features[i]) for i in range(1, 8)] == [1, 2, 2, 3, 3, 4, 1]  # L_i
    # Squeeze width is a quarter of the block's *input* channels: 32 -> 8 in MBConv1, 16 -> 4 in stage 3's first.
    assert model.features[1][0].block[1].fc1.out_channels == 8
    assert model.features[2][0].block[2].fc1.out_channels == 4
    assert round(analysis.totals["macs"] / 1e9, 2) == 0.39  # Table 2: 0.39B FLOPs (multiply-adds)


def test_overrides_scale_b0_into_b7() -> None:
    # B7 is B0's table with width 2.0 and depth 3.1: the overrides alone must rebuild it.
    scaled = archcost.build("efficientnet-b0", width_mult=2.0, depth_mult=3.1, dropout=0.5)
    assert sum(p.numel() for p in scaled.parameters()) == TORCHVISION["efficientnet-b7"][0]


def test_one_dimension_at_a_time() -> None:
    base = archcost.analyze("efficientnet-b0").totals
    wide = archcost.analyze("efficientnet-b0", width_mult=1.4).totals
    deep = archcost.analyze("efficientnet-b0", depth_mult=1.8).totals
    model = archcost.build("efficientnet-b0", resolution=380)
    assert model.native_input == (3, 380, 380)
    high = archcost.analyze("efficientnet-b0", "x".join(map(str, model.native_input)), resolution=380).totals
    assert wide["params"] > base["params"] and deep["params"] > base["params"]
    assert high["params"] == base["params"]  # resolution changes the cost, never the weights
    assert 2.5 < high["macs"] / base["macs"] < 3.0  # about (380/224)^2 = 2.88


def test_scaling_helpers_are_torch_free() -> None:
    assert efficientnet.native_input() == (3, 224, 224)
    assert efficientnet.native_input(resolution_mult=1.15) == (3, 258, 258)
    assert efficientnet.compound(1.0) == (1.2, 1.1, 1.15)
    assert efficientnet.scale_channels(320, 2.0) == 640 and efficientnet.scale_channels(32, 1.1) == 32
    assert efficientnet.scale_depth(3, 1.1) == 4
    with pytest.raises(ValueError):
        efficientnet.native_input(resolution=16)


def test_family_modules_do_not_import_torch() -> None:
    code = ("import sys; import archcost.zoo.plain, archcost.zoo.mobilenet, archcost.zoo.efficientnet, "
            "archcost.zoo.inception_resnet; assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
