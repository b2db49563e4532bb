"""Every registry network's MACs against torch's own counter, so that no zoo figure rests on a golden file alone.

``torch.utils.flop_counter.FlopCounterMode`` counts 2 FLOPs per multiply-accumulate of convolutions and matrix
products, bias excluded: its total / 2 is archcost's ``paper`` convention. One build per network: the meta model
``archcost.build`` returns is analysed by archcost and then run under the counter, at the network's native input.
Parametrized over ``archcost.list_architectures()``, so a network is checked the day it is added.
"""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import archcost
from archcost.zoo.registry import get


@pytest.mark.parametrize("name", archcost.list_architectures())
def test_paper_macs_equal_flop_counter_half(name: str) -> None:
    model = archcost.build(name)
    shape = (1, *(getattr(model, "native_input", None) or get(name).input_shape))
    analysis = archcost.analyze(model, shape)  # meta, paper convention
    assert analysis.uncounted_ops == {}
    model.eval()  # what the analysis runs (it restores the flags; this model is ours)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.zeros(shape, device="meta"))
    reference = counter.get_total_flops()
    assert reference > 0 and reference % 2 == 0
    assert analysis.totals["ops"] == analysis.totals["macs"] == reference // 2
