"""Highway networks as data: the CIFAR ResNets of arXiv:1512.03385 section 4.2 with every residual block replaced by a
convolutional highway block (archcost.blocks.highway), so each one sits beside the residual network of the same depth
and width: highway-cifar-20 vs resnet20, highway-cifar-56 vs resnet56, highway-cifar-110 vs resnet110.

Srivastava, Greff and Schmidhuber, "Training Very Deep Networks", arXiv:1507.06228, 2015, section 4.1 and Table 3.
Deviation: Table 3's own CIFAR-10 highway networks (19 and 32 layers, 2.3M and 1.25M parameters) are built on
FitNet-style stacks whose layer widths the paper leaves to its supplementary material; the residual-network shape is
the comparison the lecture draws (its "Différences avec ResNet" table), and it makes the two differ only by the gate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from archcost.zoo.registry import Paper, load, register
from archcost.zoo.resnet import CIFAR_RESNETS, ResNetConfig, build_resnet

PAPER = Paper("Training Very Deep Networks", "1507.06228", 2015,
              "section 4.1 (convolutional highway layers); shape of arXiv:1512.03385 section 4.2")


@dataclass(frozen=True)
class HighwayConfig:
    body: ResNetConfig  # the residual network whose blocks become highway blocks
    gate_kernel: int = 3  # T's receptive field: the same size as H's convs, as in the paper
    residual_twin: str = ""  # the registry name of the matching residual network


HIGHWAYS: dict[str, HighwayConfig] = {
    f"highway-cifar-{depth}": HighwayConfig(CIFAR_RESNETS[f"resnet{depth}"], residual_twin=f"resnet{depth}")
    for depth in (20, 56, 110)
}


UNIT = "archcost.blocks.highway:HighwayUnit"  # the lazy reference: the zoo never imports the blocks


def make_builder(config: HighwayConfig) -> Callable[..., Any]:
    def build(*, num_classes: int = 10, gate_kernel: int = config.gate_kernel) -> Any:
        unit = partial(load(UNIT), gate_kernel=gate_kernel)
        return build_resnet(config.body, num_classes=num_classes, unit=unit)

    return build


for _name, _config in HIGHWAYS.items():
    register(_name, family="highway", paper=PAPER, input_shape=(3, 32, 32), dataset="cifar-10", num_classes=10,
             notes=f"compare with {_config.residual_twin} (same depth and widths); overrides: num_classes, gate_kernel"
             )(make_builder(_config))
