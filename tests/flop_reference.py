"""torch.utils.flop_counter as the training-step reference, with the one formula torch 2.13 gets wrong corrected.

torch 2.13's ``flop_counter`` ignores ``groups`` in ``convolution_backward`` (a depthwise 3x3 layer's step counts 34x
its forward). :func:`conv_backward_flop` is written here from the convolution's definition, not from archcost's
formulas, and passed through ``FlopCounterMode(custom_mapping=...)``. Used by tests/training and tests/calibration
(tests/ is on sys.path: its conftest.py sits there).
"""

from __future__ import annotations

from math import prod
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode


def conv_backward_flop(grad_out_shape, x_shape, w_shape, _bias, _stride, _padding, _dilation, transposed,
                       _output_padding, groups, output_mask, out_shape=None) -> int:
    """grad_input and grad_weight each cost the forward convolution's MACs (2 FLOPs each), groups included:
    direct, every output element takes C_in/groups*K products (weight [C_out, C_in/g, k...]); transposed, every
    input element scatters into C_out/groups*K (weight [C_in, C_out/g, k...])."""
    per_element = prod(w_shape[1:])  # (C_in or C_out)/groups * K, read off the weight
    macs = prod(x_shape if transposed else grad_out_shape) * per_element
    return 2 * macs * (int(output_mask[0]) + int(output_mask[1]))


def counter() -> FlopCounterMode:
    return FlopCounterMode(display=False, custom_mapping={torch.ops.aten.convolution_backward: conv_backward_flop})


def training_step_flops(model: torch.nn.Module, x: Any) -> int:
    """FLOPs of the forward (train mode) and backward of one step: cross-entropy for [N, C] logits, else a sum, as
    archcost forms its loss. The model is the caller's own (it is put in train mode and keeps its grads)."""
    model.train()
    with counter() as found:
        out = model(x)
        out = out[0] if isinstance(out, (tuple, list)) else out
        if out.dim() == 2:
            loss = F.cross_entropy(out, torch.zeros(out.shape[0], dtype=torch.int64, device=out.device))
        else:
            loss = out.sum()
        loss.backward()
    return found.get_total_flops()
