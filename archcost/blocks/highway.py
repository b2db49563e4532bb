"""The convolutional highway block: y = H(x) T(x) + x (1 - T(x)) with a transform gate T = sigmoid(conv(x) + b_T).

Srivastava, Greff and Schmidhuber, "Highway Networks" (arXiv:1505.00387) eq. 3 and "Training Very Deep Networks"
(arXiv:1507.06228) section 2 and 4.1: convolutional highway layers share weights and receptive fields in both H and
T, with receptive fields of the same size. It plugs into :class:`archcost.blocks.resnet.ResNet` as its ``unit``.
"""

from __future__ import annotations

import torch
from torch import nn

from archcost.blocks.resnet import branch, shortcut
from archcost.shapes import same_padding
from archcost.zoo.resnet import ResNetConfig


class HighwayUnit(nn.Module):
    """A residual block's two 3x3 convs as H, gated against the carry path instead of added to it.

    H ends on its own ReLU (Srivastava's H is a full nonlinear layer), so the block has as many ReLUs as the residual
    block it replaces, whose ReLU follows the addition. Where dimensions change, the carried x is subsampled and
    zero-padded exactly as the residual network's option A shortcut, so the two networks differ only by the gate.
    """

    def __init__(self, config: ResNetConfig, c_in: int, width: int, c_out: int, stride: int, *, first: bool,
                 survival_probability: float | None, gate_kernel: int = 3) -> None:
        super().__init__()
        if survival_probability is not None:
            raise ValueError("stochastic depth is defined for residual blocks, not highway blocks")
        if config.preact:
            raise ValueError("highway blocks are post-activation blocks")
        self.transform = branch(config, c_in, width, c_out, stride, preact_first=False)
        convs = sum(1 for name in self.transform._modules if name.startswith("conv"))
        self.transform.add_module(f"relu{convs}", nn.ReLU(inplace=True))  # the ReLU its last conv lacked
        # T's conv has a bias: b_T, initialised negative in the papers so that a block starts by carrying.
        self.gate = nn.Conv2d(c_in, c_out, gate_kernel, stride, padding=same_padding(gate_kernel), bias=True)
        self.carry = shortcut(config, c_in, c_out, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.transform(x)  # N x C_out x H/s x W/s
        t = torch.sigmoid(self.gate(x))  # N x C_out x H/s x W/s, in (0, 1)
        return h * t + self.carry(x) * (1 - t)
