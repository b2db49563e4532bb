"""ResNeXt as data: bottlenecks whose 3x3 is a grouped convolution of C groups of width d ("32x4d").

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", arXiv:1611.05431, 2016, Table 1 and
section 5.1 (ResNeXt-101 64x4d). The paper's models follow fb.resnet.torch: a downsampling block strides on its 3x3
(the layout torchvision also uses), projection shortcuts.
"""

from __future__ import annotations

from dataclasses import replace

from archcost.zoo.registry import Paper, register
from archcost.zoo.resnet import OVERRIDES, RESNETS, make_builder

PAPER = Paper("Aggregated Residual Transformations for Deep Neural Networks", "1611.05431", 2016, "Table 1")

# name: (ResNet depth, cardinality C, bottleneck width d). The grouped 3x3 of a stage of width w is C * d * w / 64
# wide: 128 for conv2 of ResNeXt-50 32x4d, twice the ResNet-50 width, at about the same cost (Table 1).
RESNEXT_ROWS = {
    "resnext50-32x4d": (50, 32, 4),
    "resnext101-32x8d": (101, 32, 8),
    "resnext101-64x4d": (101, 64, 4),
}
RESNEXTS = {
    name: replace(RESNETS[f"resnet{depth}"], stride_on="3x3", groups=groups, width_per_group=width)
    for name, (depth, groups, width) in RESNEXT_ROWS.items()
}

for _name, _config in RESNEXTS.items():
    register(_name, family="resnext", paper=PAPER, input_shape=(3, 224, 224),
             notes=f"grouped 3x3, stride on the 3x3; {OVERRIDES}")(make_builder(_config, 1000))
