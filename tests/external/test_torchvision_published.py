"""torchvision:NAME in its published configuration: torchvision's own num_params and _ops (GMACs), reproduced.

Needs torchvision (skipped without it). CI installs torch 2.14.1 + torchvision 0.29.1 + timm in a second virtual
environment and runs this folder there (.ci/run)."""

from __future__ import annotations

import subprocess
import sys

import pytest

tv_models = pytest.importorskip("torchvision.models")

import archcost  # noqa: E402
from archcost.errors import UsageError  # noqa: E402
from archcost.zoo.resolve import resolve  # noqa: E402

# One model of each family and of each builder quirk: aux heads dropped after loading (googlenet), kept (inception_v3,
# at 299), image_size from the weights (vit), a 384 crop (regnet_y_128gf is too big: regnet_x_400mf builds with
# tensors), segmentation at 520x520 with its aux head, video at 16 frames of the crop.
PUBLISHED = {
    "resnet50": (1, 3, 224, 224),
    "googlenet": (1, 3, 224, 224),
    "inception_v3": (1, 3, 299, 299),
    "vit_b_16": (1, 3, 224, 224),
    "efficientnet_b3": (1, 3, 300, 300),
    "regnet_x_400mf": (1, 3, 224, 224),
    "fcn_resnet50": (1, 3, 520, 520),
    "lraspp_mobilenet_v3_large": (1, 3, 520, 520),
    "r3d_18": (1, 3, 16, 112, 112),
    "s3d": (1, 3, 16, 224, 224),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_params_and_gmacs_equal_torchvision_published(name: str) -> None:
    meta = tv_models.get_model_weights(name).DEFAULT.meta
    a = archcost.analyze(f"torchvision:{name}")
    assert a.input_shape == PUBLISHED[name]
    assert a.totals["params"] == meta["num_params"]
    assert f"{a.totals['macs'] / 1e9:.3f}" == f"{meta['_ops']:.3f}"  # the printed precision
    enum = type(tv_models.get_model_weights(name).DEFAULT).__name__
    assert a.provenance["config"]["weights"].startswith(f"{enum}.")
    assert a.provenance["input_source"].startswith(f"torchvision {enum}.DEFAULT")


def test_googlenet_drops_the_aux_heads_the_published_model_drops() -> None:
    published = archcost.build("torchvision:googlenet")
    assert sum(p.numel() for p in published.parameters()) == 6_624_904
    assert published.aux1 is None and published.transform_input is True
    # --set weights=None is torchvision's untrained default: aux heads kept, the same as torchvision's own builder.
    untrained = archcost.build("torchvision:googlenet", weights=None)
    assert sum(p.numel() for p in untrained.parameters()) == 13_004_888


def test_vit_h_14_is_built_at_the_image_size_its_weights_set() -> None:
    model = archcost.build("torchvision:vit_h_14")
    assert model.image_size == 518
    assert sum(p.numel() for p in model.parameters()) == 633_470_440
    resolved = resolve("torchvision:vit_h_14")
    assert resolved.input_shape == (3, 518, 518) and resolved.config["image_size"] == 518


@pytest.mark.parametrize("name", ["fasterrcnn_resnet50_fpn", "retinanet_resnet50_fpn_v2", "ssd300_vgg16",
                                  "keypointrcnn_resnet50_fpn", "raft_small"])
def test_detection_and_optical_flow_build_with_the_published_parameters(name: str) -> None:
    meta = tv_models.get_model_weights(name).DEFAULT.meta
    model = archcost.build(f"torchvision:{name}")
    assert sum(p.numel() for p in model.parameters()) == meta["num_params"]
    config = resolve(f"torchvision:{name}").config
    if name.endswith("_fpn"):  # the R-CNNs' ResNet backbone: frozen batch norm and 3 trainable stages
        assert config["norm_layer"] == "FrozenBatchNorm2d" and config["trainable_backbone_layers"] == 3
        assert any(type(m).__name__ == "FrozenBatchNorm2d" for m in model.modules())


def test_raft_example_is_two_frames() -> None:
    resolved = resolve("torchvision:raft_large")
    assert resolved.example_shapes == ((1, 3, 512, 512), (1, 3, 512, 512))
    assert resolved.input_shape is None


def test_quantized_and_unknown_names_are_one_clear_line() -> None:
    with pytest.raises(UsageError, match="quantized .* its float architecture is torchvision:resnet50"):
        archcost.analyze("torchvision:quantized_resnet50")
    with pytest.raises(UsageError, match="torchvision has no model 'resnet5'; did you mean resnet50"):
        archcost.analyze("torchvision:resnet5")
    done = subprocess.run([sys.executable, "-m", "archcost", "table", "torchvision:quantized_resnet50"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("archcost: error: torchvision:quantized_resnet50 is a quantized")
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_an_argument_the_builder_refuses_is_one_usage_line() -> None:
    """torchvision's builders take **kwargs, so only the builder itself can refuse a misspelt key."""
    with pytest.raises(UsageError, match=r"torchvision:resnet18 does not take the builder argument 'widht' "
                                         r"\(TypeError"):
        archcost.analyze("torchvision:resnet18", widht=3)
