"""GoogLeNet, its auxiliary heads, the lecture's Keras model and the single modules, checked by hand formulas."""

from __future__ import annotations

import archcost

# Table 1 of arXiv:1409.4842: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj, with each module's input depth.
TABLE1 = {
    "3a": (192, 64, 96, 128, 16, 32, 32), "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64), "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64), "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128), "5a": (832, 256, 160, 320, 32, 128, 128),
    "5b": (832, 384, 192, 384, 48, 128, 128),
}
GRID = {"3a": 28, "3b": 28, "4a": 14, "4b": 14, "4c": 14, "4d": 14, "4e": 14, "5a": 7, "5b": 7}


def conv_params(k: int, c_in: int, c_out: int) -> int:
    return k * k * c_in * c_out + c_out


def inception_params(c_in: int, n1: int, r3: int, n3: int, r5: int, n5: int, pp: int) -> int:
    return (conv_params(1, c_in, n1) + conv_params(1, c_in, r3) + conv_params(3, r3, n3) + conv_params(1, c_in, r5)
            + conv_params(5, r5, n5) + conv_params(1, c_in, pp))


def inception_macs(hw: int, c_in: int, n1: int, r3: int, n3: int, r5: int, n5: int, pp: int) -> int:
    return hw * hw * (c_in * n1 + c_in * r3 + 9 * r3 * n3 + c_in * r5 + 25 * r5 * n5 + c_in * pp)


def stem_params(c_in: int) -> int:
    return conv_params(7, c_in, 64) + conv_params(1, 64, 64) + conv_params(3, 64, 192)


def test_googlenet_params_and_macs_by_hand() -> None:
    a = archcost.analyze("googlenet")
    params = stem_params(3) + sum(inception_params(*row) for row in TABLE1.values()) + 1024 * 1000 + 1000
    macs = (112 * 112 * 49 * 3 * 64 + 56 * 56 * (64 * 64 + 9 * 64 * 192)
            + sum(inception_macs(GRID[k], *row) for k, row in TABLE1.items()) + 1024 * 1000)
    assert a.totals["params"] == params == 6_998_552
    assert a.totals["macs"] == macs == 1_582_671_872
    for name, row in TABLE1.items():
        layer = a.layer(f"inception{name}")
        assert layer["params"] == inception_params(*row)
        assert layer["macs"] == inception_macs(GRID[name], *row)
        assert layer["output_shape"] == (1, row[1] + row[3] + row[5] + row[6], GRID[name], GRID[name])


def test_auxiliary_heads_by_hand() -> None:
    base = archcost.analyze("googlenet").totals
    aux = archcost.analyze("googlenet-aux")
    # section 5: 5x5/3 average pool (14 -> 4), 1x1 conv to 128, FC 2048 -> 1024, FC 1024 -> 1000
    head = lambda c_in: conv_params(1, c_in, 128) + 2048 * 1024 + 1024 + 1024 * 1000 + 1000  # noqa: E731
    head_macs = lambda c_in: 4 * 4 * c_in * 128 + 2048 * 1024 + 1024 * 1000  # noqa: E731
    assert aux.totals["params"] == base["params"] + head(512) + head(528)
    assert aux.totals["macs"] == base["macs"] + head_macs(512) + head_macs(528)
    assert aux.layer("aux1")["input_shape"] == (1, 512, 14, 14)
    assert aux.layer("aux2")["input_shape"] == (1, 528, 14, 14)


def test_keras_fashion_mnist_model_matches_the_lecture_summary() -> None:
    a = archcost.analyze("googlenet-fmnist")
    layer = lambda name: a.layer(name)["params"]  # noqa: E731
    # the summary's first rows: conv2d 3,200; batch_normalization 256 (Keras counts 4 x 64 with moving stats)
    assert layer("conv1.0") == 3_200 and layer("conv1.1") + 2 * 64 == 256
    assert layer("conv2_reduce.0") == 4_160 and layer("conv2.0") == 110_784
    assert layer("conv2.1") + 2 * 192 == 768
    # the summary's last rows: inception 5b's four output convolutions and the dense layer
    assert layer("inception5b.branch1.0") == 319_872
    assert layer("inception5b.branch2.1") == 663_936
    assert layer("inception5b.branch3.1") == 153_728
    assert layer("inception5b.branch4.1") == 106_624
    assert layer("fc") == 10_250
    t = a.totals
    assert (t["keras_params"], t["trainable_params"], t["keras_non_trainable_params"]) == (5_978_554, 5_978_042, 512)
    # 28 -> 14 -> 7 -> 4 -> 2 -> 1, as the summary's output shapes
    assert a.layer("pool2")["output_shape"] == (1, 192, 4, 4)
    assert a.layer("inception5b.branch4.0")["output_shape"] == (1, 832, 1, 1)


def test_single_modules_take_any_widths_and_input() -> None:
    a = archcost.analyze("inception-bottleneck", "192x28x28", in_channels=192, out_1x1=64, reduce_3x3=96,
                         out_3x3=128, reduce_5x5=16, out_5x5=32, pool_proj=32)
    assert a.totals["macs"] == inception_macs(28, *TABLE1["3a"])
    assert a.totals["params"] == inception_params(*TABLE1["3a"])
