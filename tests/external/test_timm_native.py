"""timm:NAME without pretrained weights, at its pretrained configuration's input size, counted exactly."""

from __future__ import annotations

import pytest

timm = pytest.importorskip("timm")
torch = pytest.importorskip("torch")

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import archcost  # noqa: E402

# A convolutional net at 224, one at 299, a 384 transformer, a non-square input and a tagged name.
SAMPLE = ["resnet18", "inception_v3", "vit_tiny_patch16_384", "efficientnet_b2", "mobilenetv3_small_100.lamb_in1k"]


@pytest.mark.parametrize("name", SAMPLE)
def test_native_input_params_and_macs(name: str) -> None:
    cfg = timm.models.get_pretrained_cfg(name)
    a = archcost.analyze(f"timm:{name}")
    assert a.input_shape == (1, *cfg.input_size)
    assert a.provenance["input_source"].endswith(f"input_size={'x'.join(map(str, cfg.input_size))}")
    with torch.device("meta"):
        model = timm.create_model(name, pretrained=False).eval()
    assert a.totals["params"] == sum(p.numel() for p in model.parameters())
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(a.input_shape, device="meta"))
    assert a.totals["macs"] == counter.get_total_flops() // 2


def test_native_input_is_not_always_224() -> None:
    assert archcost.analyze("timm:inception_v3").input_shape == (1, 3, 299, 299)
    assert archcost.analyze("timm:vit_tiny_patch16_384").input_shape == (1, 3, 384, 384)
