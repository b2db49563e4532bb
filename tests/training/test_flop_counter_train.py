"""Every registry network's training-step MACs against torch's FlopCounterMode, with its conv backward fixed.

torch 2.13's ``flop_counter`` ignores ``groups`` in ``convolution_backward`` (a depthwise 3x3 layer's step counts
34x its forward), so the reference is run with that one formula replaced (tests/flop_reference.py, written from the
convolution's definition, not from archcost's formulas). Parametrized over the registry.
"""

from __future__ import annotations

import pytest
import torch
from flop_reference import training_step_flops
from torch.utils.flop_counter import FlopCounterMode

import archcost
from archcost.zoo.registry import get

SLOW = {"efficientnet-b5", "efficientnet-b6", "efficientnet-b7", "resnet1202", "preact-resnet1001"}


def reference_step_flops(model: torch.nn.Module, shape: tuple[int, ...]) -> int:
    """Every block runs: a stochastic-depth block, which drops itself at random in train mode, is made plain (the
    model is this test's own), as archcost counts the full step and weighs blocks by p only in the expected cost."""
    for m in model.modules():
        m.__dict__.pop("survival_probability", None)
    return training_step_flops(model, torch.zeros(shape, device="meta"))


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n
                                  for n in archcost.list_architectures()])
def test_forward_plus_backward_macs_equal_flop_counter_half(name: str) -> None:
    shape = (1, *(getattr(archcost.build(name), "native_input", None) or get(name).input_shape))
    analysis = archcost.analyze(name, shape, mode="train", optimizer="sgd")
    assert analysis.uncounted_ops == {}
    reference = reference_step_flops(archcost.build(name), shape)
    t = analysis.totals
    assert reference > 0 and reference % 2 == 0
    assert t["forward_macs"] + t["backward_macs"] == reference // 2
    assert t["backward_macs"] == t["grad_input_macs"] + t["grad_weight_macs"]


def test_depthwise_step_is_three_forwards() -> None:
    """The fix itself: a depthwise 3x3 layer whose input needs a gradient costs forward + grad-input + grad-weight
    = 3x its forward in archcost and in the fixed reference; torch's own formula says far more."""
    with torch.device("meta"):
        model = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 1, bias=False),
                                    torch.nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False))
    analysis = archcost.analyze(model, (1, 1, 16, 16), mode="train")
    depthwise = analysis.layer("1")
    forward = 16 * 16 * 8 * 9
    assert depthwise["macs"] == forward
    assert depthwise["grad_input_macs"] == depthwise["grad_weight_macs"] == forward
    assert depthwise["macs"] + depthwise["grad_input_macs"] + depthwise["grad_weight_macs"] == 3 * forward
    assert reference_step_flops(model, (1, 1, 16, 16)) // 2 == analysis.totals["training_step_macs"]
    plain = FlopCounterMode(display=False)  # torch's unfixed formula over-counts the depthwise backward
    with plain:
        model(torch.zeros(1, 1, 16, 16, device="meta")).sum().backward()
    assert plain.get_total_flops() // 2 > analysis.totals["training_step_macs"]
