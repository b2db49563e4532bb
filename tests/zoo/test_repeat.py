"""``blocks/repeat.py``: meta copies of a stage's repeated blocks are the modules the constructor would build."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import archcost
from archcost.blocks.repeat import build_every_block, repeat


def _description(model: nn.Module) -> tuple:
    modules = [(name, type(m), m.training, {k: v for k, v in m.__dict__.items() if not k.startswith("_")})
               for name, m in model.named_modules()]
    tensors = [(name, type(t), tuple(t.shape), t.dtype, t.device.type, t.requires_grad)
               for name, t in (*model.named_parameters(), *model.named_buffers())]
    return repr(model), modules, tensors, list(model.state_dict())


@pytest.mark.parametrize("name", archcost.list_architectures())
def test_copied_blocks_equal_built_ones(name: str) -> None:
    copied = archcost.build(name)
    with build_every_block():
        built = archcost.build(name)
    assert _description(copied) == _description(built)
    parameters = list(copied.parameters())
    assert len({id(p) for p in parameters}) == len(parameters)  # no parameter is shared between copies
    modules = list(copied.modules())
    assert len({id(m._forward_hooks) for m in modules}) == len(modules)  # nor a hook table


def test_copies_have_their_own_hook_tables() -> None:
    with torch.device("meta"):
        blocks = repeat(lambda: nn.Sequential(nn.Conv2d(2, 2, 1), nn.BatchNorm2d(2)), 3)
    blocks[1].register_forward_hook(lambda *args: None)
    assert not blocks[0]._forward_hooks and not blocks[2]._forward_hooks
    assert blocks[0][1].running_mean is not blocks[1][1].running_mean


def test_real_blocks_are_each_built_and_initialised() -> None:
    torch.manual_seed(0)
    calls = []

    def make() -> nn.Module:
        calls.append(1)
        return nn.Conv2d(3, 3, 3)

    blocks = repeat(make, 3)
    assert len(calls) == 3
    assert not torch.equal(blocks[0].weight, blocks[1].weight)


def test_a_block_that_cannot_be_keyed_is_built_every_time() -> None:
    class Listed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 1)
            self.plan = [1, 2]

    calls = []

    def make() -> nn.Module:
        calls.append(1)
        return Listed()

    with torch.device("meta"):
        blocks = repeat(make, 4)
    assert len(calls) == 4 and len({id(b.plan) for b in blocks}) == 4
    assert repeat(make, 0) == []


def test_a_block_handed_out_never_changes_the_next_build() -> None:
    first = archcost.build("resnet20")
    first.layer1[0].residual.conv1.stride = (2, 2)  # a caller may change what it was given
    first.layer2[1].residual.add_module("extra", nn.ReLU())
    with build_every_block():
        expected = _description(archcost.build("resnet32"))
    assert _description(archcost.build("resnet32")) == expected  # resnet32 copies the templates resnet20 built


def test_a_key_names_the_template_and_the_default_dtype() -> None:
    made = []

    def make() -> nn.Module:
        made.append(1)
        return nn.Conv2d(2, 2, 1)

    with torch.device("meta"):
        a = repeat(make, 2, key=("conv-2-2-test",))
        b = repeat(make, 2, key=("conv-2-2-test",))
        previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            c = repeat(make, 1, key=("conv-2-2-test",))
        finally:
            torch.set_default_dtype(previous)
    assert len(made) == 2  # the second call copied the first one's template; float64 needed its own
    assert a[0].weight is not b[0].weight and b[0].weight.dtype == torch.float32 and c[0].weight.dtype == torch.float64
