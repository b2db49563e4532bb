"""Pre-activation ResNets as data: BN-ReLU before every conv, a clean identity path, a last BN-ReLU before pooling.

He et al., "Identity Mappings in Deep Residual Networks", arXiv:1603.05027, 2016: Figure 1(b) and 4(e) (the unit),
the appendix (first and last unit, projection shortcuts with pre-activation), Tables 3 and 4 (ResNet-110, -164 and
-1001 on CIFAR) and Table 5 (ImageNet). Every depth reuses the rows of :mod:`archcost.zoo.resnet`.
"""

from __future__ import annotations

from dataclasses import replace

from archcost.zoo.registry import Paper, register
from archcost.zoo.resnet import (
    CIFAR_RESNETS,
    IMAGENET_BLOCKS,
    OVERRIDES,
    ResNetConfig,
    cifar_stages,
    imagenet_stages,
    make_builder,
)

PAPER = Paper("Identity Mappings in Deep Residual Networks", "1603.05027", 2016, "Figure 4(e), appendix, Table 5")
CIFAR_PAPER = replace(PAPER, table="Figure 4(e), appendix, Tables 3 and 4 (CIFAR-10)")

# ImageNet: the depths of arXiv:1512.03385 Table 1 with pre-activated units. As in the authors' code
# (KaimingHe/resnet-1k-layers, resnet-pre-act.lua), a downsampling bottleneck strides on its first 1x1 and its
# projection shortcut is a bare 1x1 conv on the pre-activated input.
PREACT_RESNETS: dict[str, ResNetConfig] = {
    f"preact-resnet{depth}": ResNetConfig(block, imagenet_stages(blocks), preact=True)
    for depth, (block, blocks) in IMAGENET_BLOCKS.items()
}

# CIFAR: ResNet-110 is the basic-block network of arXiv:1512.03385 section 4.2 (option A shortcuts, 1.7M parameters)
# with pre-activated units. ResNet-164 and -1001 are 9n + 2 bottleneck networks (n = 18, 111) with stages of 64, 128,
# 256 output channels (reduce widths 16, 32, 64) and projection shortcuts (resnet-pre-act.lua).
PREACT_CIFAR: dict[str, ResNetConfig] = {
    "preact-resnet110": replace(CIFAR_RESNETS["resnet110"], preact=True),
    **{
        f"preact-resnet{9 * n + 2}": ResNetConfig("bottleneck", cifar_stages(n), stem="cifar", stem_width=16,
                                                   preact=True)
        for n in (18, 111)
    },
}

for _name, _config in PREACT_RESNETS.items():
    register(_name, family="preact-resnet", paper=PAPER, input_shape=(3, 224, 224),
             notes=f"pre-activated units; stride on a bottleneck's first 1x1 (authors' code); {OVERRIDES}"
             )(make_builder(_config, 1000))

for _name, _config in PREACT_CIFAR.items():
    register(_name, family="preact-resnet", paper=CIFAR_PAPER, input_shape=(3, 32, 32), dataset="cifar-10",
             num_classes=10, notes=f"pre-activated units; {OVERRIDES}")(make_builder(_config, 10))
