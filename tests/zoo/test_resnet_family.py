"""The residual families (ResNet v1/v1.5, CIFAR ResNets, pre-activation, ResNeXt, highway): exact parameter counts
against hand formulas written here from the papers' tables and against torchvision's published counts, goldens,
structure (where the stride sits, which shortcut is used) and overrides."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

import archcost
from archcost.zoo import registry

GOLDEN_DIR = Path(archcost.__file__).parent / "zoo" / "golden"
GOLDEN_FILES = {"resnet": "resnet.json", "preact-resnet": "preact.json", "highway": "highway.json",
                "resnext": "resnext.json"}
FAMILY_NAMES = [e.name for e in registry.entries() if e.family in GOLDEN_FILES]

# torchvision's published parameter counts (torchvision.models docs, the weights' meta["num_params"]).
TORCHVISION_PARAMS = {
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
    "resnext50-32x4d": 25_028_904,
    "resnext101-32x8d": 88_791_336,
    "resnext101-64x4d": 83_455_272,
}


@functools.cache
def analysis(name: str) -> archcost.Analysis:
    return archcost.analyze(name)


# --- hand formulas ----------------------------------------------------------------------------------------------------


def conv(k: int, c_in: int, c_out: int, groups: int = 1) -> int:
    return k * k * (c_in // groups) * c_out  # no bias: every conv feeds a batch norm


def bn(c: int) -> int:
    return 2 * c  # gamma and beta


IMAGENET = {18: ("basic", (2, 2, 2, 2)), 34: ("basic", (3, 4, 6, 3)), 50: ("bottleneck", (3, 4, 6, 3)),
            101: ("bottleneck", (3, 4, 23, 3)), 152: ("bottleneck", (3, 8, 36, 3))}


def imagenet_params(depth: int, *, groups: int = 1, d: int = 64, preact: bool = False, classes: int = 1000) -> int:
    """arXiv:1512.03385 Table 1 (and arXiv:1611.05431 Table 1 for groups/d), layer by layer.

    Post-activation: each conv is followed by BN(c_out); a projection is 1x1 conv + BN. Pre-activation: each conv of
    a branch reads BN(c_in) (the very first conv reads the stem's BN), a projection is a bare 1x1 conv, and a last BN
    precedes the pool."""
    block, blocks = IMAGENET[depth]
    total = conv(7, 3, 64) + bn(64)
    c_in, first = 64, True
    for n, planes in zip(blocks, (64, 128, 256, 512)):
        for b in range(n):
            if block == "basic":
                convs = [(3, c_in, planes, 1), (3, planes, planes, 1)]
                c_out = planes
            else:
                width = planes * d // 64 * groups
                c_out = 4 * planes
                convs = [(1, c_in, width, 1), (3, width, width, groups), (1, width, c_out, 1)]
            for i, (k, a, o, g) in enumerate(convs):
                total += conv(k, a, o, g)
                if preact:
                    total += 0 if (first and i == 0) else bn(a)
                else:
                    total += bn(o)
            if b == 0 and (c_in != c_out or planes != 64):  # conv3_1 .. conv5_1 stride 2; conv2_1 of a bottleneck
                total += conv(1, c_in, c_out) + (0 if preact else bn(c_out))
            c_in, first = c_out, False
    if preact:
        total += bn(c_in)
    return total + c_in * classes + classes


def cifar_params(n: int, *, gate: bool = False) -> int:
    """arXiv:1512.03385 section 4.2: 3x3 conv 16 + BN, three stages of n basic blocks (16, 32, 64 filters), option A
    shortcuts (no parameters), 10-way FC. ``gate`` adds a highway gate per block: a 3x3 conv with bias."""
    total = conv(3, 3, 16) + bn(16)
    c_in = 16
    for width in (16, 32, 64):
        for _ in range(n):
            total += conv(3, c_in, width) + bn(width) + conv(3, width, width) + bn(width)
            if gate:
                total += conv(3, c_in, width) + width
            c_in = width
    return total + 64 * 10 + 10


def cifar_preact_params(n: int, *, bottleneck: bool, with_bn: bool = True) -> int:
    """arXiv:1603.05027: BN before every conv of a branch (the first unit's too: the stem is a bare conv), a final
    BN. Bottleneck networks (9n+2) have stages of 64/128/256 output channels and bare 1x1 projections."""
    norm = bn if with_bn else (lambda c: 0)
    total = conv(3, 3, 16)
    c_in = 16
    for width in (16, 32, 64):
        for b in range(n):
            if bottleneck:
                c_out = 4 * width
                convs = [(1, c_in, width), (3, width, width), (1, width, c_out)]
                if b == 0:
                    total += conv(1, c_in, c_out)
            else:
                c_out = width
                convs = [(3, c_in, width), (3, width, width)]
            total += sum(conv(k, a, o) + norm(a) for k, a, o in convs)
            c_in = c_out
    return total + norm(c_in) + c_in * 10 + 10


# --- parameters -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [18, 34, 50, 101, 152])
def test_resnet_params_equal_hand_formula_and_torchvision(depth: int) -> None:
    name = f"resnet{depth}"
    assert analysis(name).totals["params"] == imagenet_params(depth) == TORCHVISION_PARAMS[name]
    if depth >= 50:  # v1.5 moves a stride, not a weight
        assert analysis(f"{name}-v1.5").totals["params"] == TORCHVISION_PARAMS[name]


@pytest.mark.parametrize("name, depth, groups, d", [("resnext50-32x4d", 50, 32, 4), ("resnext101-32x8d", 101, 32, 8),
                                                     ("resnext101-64x4d", 101, 64, 4)])
def test_resnext_params_equal_hand_formula_and_torchvision(name: str, depth: int, groups: int, d: int) -> None:
    assert analysis(name).totals["params"] == imagenet_params(depth, groups=groups, d=d) == TORCHVISION_PARAMS[name]


# arXiv:1512.03385 Table 6: n, layers, published parameters (in millions, as printed).
CIFAR_TABLE6 = [(3, 20, 0.27), (5, 32, 0.46), (7, 44, 0.66), (9, 56, 0.85), (18, 110, 1.7), (200, 1202, 19.4)]


@pytest.mark.parametrize("n, layers, published", CIFAR_TABLE6)
def test_cifar_resnet_params_equal_hand_formula_and_round_to_table6(n: int, layers: int, published: float) -> None:
    params = analysis(f"resnet{layers}").totals["params"]
    assert params == cifar_params(n)
    digits = len(str(published).split(".")[1])
    assert round(params / 1e6, digits) == published


def test_cifar_resnet20_params_spelled_out() -> None:
    # stem 432 + 32; stage 1: 3 x (2 x 2304 + 2 x 32); stage 2: 4608 + 9216 + 128, then 2 x (2 x 9216 + 128);
    # stage 3: 18432 + 36864 + 256, then 2 x (2 x 36864 + 256); FC 650.
    assert analysis("resnet20").totals["params"] == 464 + 14_016 + 51_072 + 203_520 + 650 == 269_722


@pytest.mark.parametrize("depth", [18, 34, 50, 101, 152])
def test_preact_imagenet_params_equal_hand_formula(depth: int) -> None:
    assert analysis(f"preact-resnet{depth}").totals["params"] == imagenet_params(depth, preact=True)


def test_preact_resnet18_differs_from_resnet18_by_its_batch_norms() -> None:
    # Same convs. Post-activation: BN(c_out) after each conv and in each projection; pre-activation: BN(c_in) before
    # each conv (the stem's BN serves the first), bare projections, a final BN(512).
    post, pre = analysis("resnet18").totals["params"], analysis("preact-resnet18").totals["params"]
    shortcut_bns = bn(128) + bn(256) + bn(512)
    post_bns = sum(2 * bn(c) for c in (64, 64, 128, 128, 256, 256, 512, 512))
    pre_bns = bn(64) + sum(bn(a) + bn(c) for a, c in ((64, 64), (64, 128), (128, 128), (128, 256), (256, 256),
                                                      (256, 512), (512, 512))) + bn(512)
    assert post - pre == post_bns + shortcut_bns - pre_bns == 1792


@pytest.mark.parametrize("name, n, bottleneck, published",
                         [("preact-resnet110", 18, False, 1.7), ("preact-resnet164", 18, True, 1.7),
                          ("preact-resnet1001", 111, True, 10.2)])
def test_preact_cifar_params_equal_hand_formula(name: str, n: int, bottleneck: bool, published: float) -> None:
    params = analysis(name).totals["params"]
    assert params == cifar_preact_params(n, bottleneck=bottleneck)
    # arXiv:1603.05027 Tables 3-4 print 1.7M, 1.7M and 10.2M. Counted with BN, ResNet-1001 has 10.33M: the paper's
    # 10.2M is its conv + FC weights alone.
    assert round(cifar_preact_params(n, bottleneck=bottleneck, with_bn=False) / 1e6, 1) == published


def test_preact_resnet110_has_the_parameters_of_resnet110() -> None:
    # Post-activation: a stem BN(16) and BN(c_out) twice per block. Pre-activation: BN(c_in) + BN(c_out) per block
    # and a final BN(64). Each block's c_in is the previous block's c_out, so the two sums telescope to one number.
    assert analysis("preact-resnet110").totals["params"] == analysis("resnet110").totals["params"] == 1_727_962


@pytest.mark.parametrize("depth, n", [(20, 3), (56, 9), (110, 18)])
def test_highway_params_are_the_residual_twin_plus_gates(depth: int, n: int) -> None:
    highway = analysis(f"highway-cifar-{depth}").totals["params"]
    assert highway == cifar_params(n, gate=True)
    assert highway - analysis(f"resnet{depth}").totals["params"] == cifar_params(n, gate=True) - cifar_params(n)


# --- goldens and the registry -----------------------------------------------------------------------------------------


def _goldens() -> dict[str, dict]:
    rows: dict[str, dict] = {}
    for file in GOLDEN_FILES.values():
        rows.update(json.loads((GOLDEN_DIR / file).read_text()))
    return rows


def test_every_family_entry_has_a_golden_row_and_no_stray_rows() -> None:
    assert sorted(_goldens()) == sorted(FAMILY_NAMES)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_golden_params_macs_and_no_uncounted_ops(name: str) -> None:
    row, result, entry = _goldens()[name], analysis(name), registry.get(name)
    assert (result.totals["params"], result.totals["macs"]) == (row["params"], row["macs"])
    assert tuple(row["input_shape"]) == entry.input_shape
    assert result.uncounted_ops == {}
    assert result.rows[0]["output_shape"] == (1, entry.num_classes)
    assert sum(r["own_params"] for r in result.rows) == result.totals["params"]


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_registry_metadata(name: str) -> None:
    entry = registry.get(name)
    assert entry.paper.arxiv in {"1512.03385", "1603.09382", "1603.05027", "1611.05431", "1507.06228"}
    assert entry.paper.table and entry.paper.year >= 2015
    assert entry.dataset == ("imagenet" if entry.input_shape == (3, 224, 224) else "cifar-10")
    assert entry.num_classes == (1000 if entry.dataset == "imagenet" else 10)


def test_family_modules_import_without_torch() -> None:
    code = ("import sys, archcost.zoo.resnet, archcost.zoo.preact, archcost.zoo.resnext, archcost.zoo.highway; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- structure --------------------------------------------------------------------------------------------------------


def test_v1_strides_on_the_first_1x1_and_v15_on_the_3x3() -> None:
    v1, v15 = archcost.build("resnet50").layer2[0].residual, archcost.build("resnet50-v1.5").layer2[0].residual
    assert (v1.conv1.stride, v1.conv2.stride) == ((2, 2), (1, 1))
    assert (v15.conv1.stride, v15.conv2.stride) == ((1, 1), (2, 2))


def test_cifar_shortcuts_are_option_a_and_imagenet_shortcuts_option_b() -> None:
    cifar, imagenet = archcost.build("resnet20"), archcost.build("resnet18")
    assert type(cifar.layer2[0].shortcut).__name__ == "ZeroPadShortcut"
    assert [type(m).__name__ for m in imagenet.layer2[0].shortcut] == ["Conv2d", "BatchNorm2d"]
    assert type(imagenet.layer2[1].shortcut).__name__ == "Identity"


def test_resnext_groups_the_3x3() -> None:
    block = archcost.build("resnext50-32x4d").layer1[0].residual
    assert (block.conv2.groups, block.conv2.in_channels, block.conv2.stride) == (32, 128, (1, 1))


def test_overrides_reach_the_builder() -> None:
    assert archcost.analyze("resnet20", num_classes=100).rows[0]["output_shape"] == (1, 100)
    assert archcost.analyze("highway-cifar-20", gate_kernel=1).totals["params"] == (
        cifar_params(3) + sum(c_in * c + c for c_in, c in
                              [(16, 16)] * 3 + [(16, 32), (32, 32), (32, 32), (32, 64), (64, 64), (64, 64)]))
    with pytest.raises(ValueError, match="survival_last"):
        archcost.build("resnet20", survival_last=0.0)


# --- multiply-accumulates ---------------------------------------------------------------------------------------------


def imagenet_macs(depth: int, *, stride_on: str = "1x1", groups: int = 1, d: int = 64) -> int:
    """Sum of k*k*(c_in/groups)*c_out*H_out*W_out over every conv of Table 1 at 224, plus the FC (paper convention)."""
    block, blocks = IMAGENET[depth]
    total = conv(7, 3, 64) * 112 * 112  # conv1 at 112; the max pool takes it to 56
    c_in, size = 64, 56
    for n, planes, stride in zip(blocks, (64, 128, 256, 512), (1, 2, 2, 2)):
        for b in range(n):
            s = stride if b == 0 else 1
            out = size // s
            if block == "basic":
                c_out = planes
                total += conv(3, c_in, planes) * out * out + conv(3, planes, planes) * out * out
            else:
                width, c_out = planes * d // 64 * groups, 4 * planes
                first = out if stride_on == "1x1" else size  # the reduce 1x1 runs at the input size in v1.5
                total += (conv(1, c_in, width) * first * first + conv(3, width, width, groups) * out * out
                          + conv(1, width, c_out) * out * out)
            if b == 0 and (c_in != c_out or s != 1):
                total += conv(1, c_in, c_out) * out * out
            c_in, size = c_out, out
    return total + c_in * 1000


@pytest.mark.parametrize("depth", [18, 34, 50, 101, 152])
def test_resnet_macs_equal_hand_formula(depth: int) -> None:
    assert analysis(f"resnet{depth}").totals["macs"] == imagenet_macs(depth)
    if depth >= 50:
        assert analysis(f"resnet{depth}-v1.5").totals["macs"] == imagenet_macs(depth, stride_on="3x3")


def test_resnet18_and_50_macs_match_published_figures() -> None:
    # arXiv:1512.03385 Table 1: 1.8 and 3.8 x 10^9 "FLOPs" (multiply-adds); torchvision's v1.5 ResNet-50: 4.09 GMACs.
    assert round(analysis("resnet18").totals["macs"] / 1e9, 1) == 1.8
    assert round(analysis("resnet50").totals["macs"] / 1e9, 1) == 3.9  # 3.858: Table 1 truncates to 3.8
    assert round(analysis("resnet50-v1.5").totals["macs"] / 1e9, 2) == 4.09


@pytest.mark.parametrize("depth", [50, 101, 152])
def test_v15_costs_more_than_v1_by_the_unstrided_reduce_convs(depth: int) -> None:
    # In conv3_1, conv4_1, conv5_1 the 1x1 reduce (c_in -> w) runs at the stage's input size H instead of H/2:
    # c_in * w * (H^2 - (H/2)^2) more MACs each. For every depth: 256*128*(56^2-28^2) = 512*256*(28^2-14^2)
    # = 1024*512*(14^2-7^2) = 77,070,336, three times.
    extra = sum(c_in * w * (h * h - (h // 2) ** 2) for c_in, w, h in ((256, 128, 56), (512, 256, 28), (1024, 512, 14)))
    v1, v15 = analysis(f"resnet{depth}").totals["macs"], analysis(f"resnet{depth}-v1.5").totals["macs"]
    assert v15 - v1 == extra == 3 * 77_070_336


def test_resnext50_macs_equal_hand_formula_and_match_resnet50_budget() -> None:
    macs = analysis("resnext50-32x4d").totals["macs"]
    assert macs == imagenet_macs(50, stride_on="3x3", groups=32, d=4)
    # arXiv:1611.05431 Table 1: 4.2 x 10^9 FLOPs (multiply-adds) against ResNet-50's 4.1 (its own v1.5 layout).
    assert round(macs / 1e9, 1) == 4.2


def test_preact_and_highway_macs() -> None:
    # Pre-activation moves norms, not convs: the same MACs as the post-activation network.
    assert analysis("preact-resnet50").totals["macs"] == analysis("resnet50").totals["macs"]
    # A highway block adds a 3x3 gate conv with the shape of the block's first conv.
    gate = sum(cifar_first_conv_macs(3))
    assert analysis("highway-cifar-20").totals["macs"] == analysis("resnet20").totals["macs"] + gate


def cifar_first_conv_macs(n: int) -> list[int]:
    """The first 3x3 conv of each block of a 6n+2 CIFAR ResNet."""
    sizes = {16: 32, 32: 16, 64: 8}
    c_in, macs = 16, []
    for width in (16, 32, 64):
        for _ in range(n):
            macs.append(conv(3, c_in, width) * sizes[width] ** 2)
            c_in = width
    return macs


def cifar_residual_macs(n: int) -> list[int]:
    """MACs of each block's residual branch (two 3x3 convs) of a 6n+2 CIFAR ResNet."""
    sizes = {16: 32, 32: 16, 64: 8}
    return [first + conv(3, c, c) * sizes[c] ** 2
            for first, c in zip(cifar_first_conv_macs(n), [w for w in (16, 32, 64) for _ in range(n)])]


def test_cifar_resnet110_macs_equal_hand_formula() -> None:
    stem, fc = conv(3, 3, 16) * 32 * 32, 64 * 10
    assert analysis("resnet110").totals["macs"] == stem + sum(cifar_residual_macs(18)) + fc == 252_887_680


def test_stochastic_depth_expected_training_macs_equal_hand_computation() -> None:
    # arXiv:1603.09382 eq. 4: p_l = 1 - l/L (1 - p_L), L = 54 blocks, p_L = 0.5. A dropped block skips its residual
    # branch, so the expected forward cost loses (1 - p_l) of that branch's MACs.
    totals = analysis("resnet110-stochastic").totals
    branches = cifar_residual_macs(18)
    blocks = len(branches)
    expected = totals["macs"] - sum(l / blocks * 0.5 * m for l, m in enumerate(branches, start=1))
    assert totals["macs"] == analysis("resnet110").totals["macs"]  # inference runs every block
    assert totals["expected_training_macs"] == pytest.approx(expected, rel=1e-12)
    # The paper's "about 25% less training time" for linear decay to 0.5: the saving here is 25.4%.
    assert 1 - totals["expected_training_macs"] / totals["macs"] == pytest.approx(0.254, abs=5e-4)


def test_stochastic_depth_is_an_option_on_every_resnet_builder() -> None:
    result = archcost.analyze("resnet50", survival_last=0.5)
    assert 0.7 * result.totals["macs"] < result.totals["expected_training_macs"] < 0.8 * result.totals["macs"]
    model = archcost.build("preact-resnet164", survival_last=0.5)
    probabilities = [block.residual.survival_probability for stage in (model.layer1, model.layer2, model.layer3)
                     for block in stage]
    assert probabilities[0] == pytest.approx(1 - 0.5 / 54) and probabilities[-1] == 0.5
    assert "expected_training_macs" not in analysis("resnet110").totals
