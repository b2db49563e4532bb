"""Every registry network's training-step MACs against torch's FlopCounterMode, with its conv backward fixed.

torch 2.13's ``flop_counter`` ignores ``groups`` in ``convolution_backward`` (a depthwise 3x3 layer's step counts
34x its forward), so the reference is run with that one formula replaced by :func:`conv_backward_flop`, written
here from the convolution's definition, not from archcost's formulas. Parametrized over the registry.
"""

from __future__ import annotations

from math import prod

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

import archcost
from archcost.zoo.registry import get

SLOW = {"efficientnet-b5", "efficientnet-b6", "efficientnet-b7", "resnet1202", "preact-resnet1001"}


def conv_backward_flop(grad_out_shape, x_shape, w_shape, _bias, _stride, _padding, _dilation, transposed,
                       _output_padding, groups, output_mask, out_shape=None) -> int:
    """grad_input and grad_weight each cost the forward convolution's MACs (2 FLOPs each), groups included:
    direct, every output element takes C_in/groups*K products (weight [C_out, C_in/g, k...]); transposed, every
    input element scatters into C_out/groups*K (weight [C_in, C_out/g, k...])."""
    per_element = prod(w_shape[1:])  # (C_in or C_out)/groups * K, read off the weight
    macs = prod(x_shape if transposed else grad_out_shape) * per_element
    return 2 * macs * (int(output_mask[0]) + int(output_mask[1]))


def reference_step_flops(model: torch.nn.Module, shape: tuple[int, ...]) -> int:
    """Every block runs: a stochastic-depth block, which drops itself at random in train mode, is made plain (the
    model is this test's own), as archcost counts the full step and weighs blocks by p only in the expected cost."""
    for m in model.modules():
        m.__dict__.pop("survival_probability", None)
    model.train()
    counter = FlopCounterMode(display=False,
                              custom_mapping={torch.ops.aten.convolution_backward: conv_backward_flop})
    with counter:
        out = model(torch.zeros(shape, device="meta"))
        out = out[0] if isinstance(out, (tuple, list)) else out
        target = torch.zeros(out.shape[0], dtype=torch.int64, device="meta")
        loss = F.cross_entropy(out, target) if out.dim() == 2 else out.sum()
        loss.backward()
    return counter.get_total_flops()


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
