"""An analysis never changes the caller's model (archcost/counting/isolation.py), on meta and on CPU, also when the
forward raises: the same tensor objects with the same values, devices and trainability, the same attributes, the same
training flags, and a real forward afterwards gives what it gave before. ``out=`` ops are counted, not crashed on."""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import archcost
from archcost.errors import ForwardError

SHAPE = (2, 4, 6, 6)
CUDA = pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"))


class Aliased(nn.Module):
    """One conv under two names, and a weight tied between two linears."""

    def __init__(self) -> None:
        super().__init__()
        conv = nn.Conv2d(4, 4, 3, padding=1)
        self.a = conv
        self.b = conv
        self.first = nn.Linear(6, 6)
        self.second = nn.Linear(6, 6)
        self.second.weight = self.first.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(self.first(self.b(self.a(x))))


class Anchors(nn.Module):
    """What torchvision's AnchorGenerator does: keeps tensors in plain attributes, moved to the input's device and
    cached per input shape during the forward."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)
        self.cell_anchors = [torch.arange(6.0), torch.ones(6)]
        self._cache: dict[tuple[int, ...], torch.Tensor] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.cell_anchors = [a.to(x.device, x.dtype) for a in self.cell_anchors]
        key = tuple(x.shape)
        if key not in self._cache:
            self._cache[key] = self.cell_anchors[0] * self.cell_anchors[1]
        self.last_input = x
        return self.conv(x) * self._cache[key]


class WritesState(nn.Module):
    """A forward that writes into its buffers and a parameter in place, aims out= at a buffer and freezes a bias."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.register_buffer("steps", torch.zeros(()))
        self.register_buffer("ema", torch.ones(4))
        self.register_buffer("gram", torch.zeros(4, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.steps += 1
        self.ema.mul_(0.5).add_(x.mean())
        self.conv.weight.data[0].zero_()
        self.conv.bias.requires_grad_(False)
        flat = x.mean(dim=(2, 3))  # N x 4
        torch.mm(flat.t(), flat, out=self.gram)
        self.register_buffer("added", torch.zeros(1))
        return self.conv(x)


class Raises(WritesState):
    """Everything WritesState changes, then an error."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        super().forward(x)
        self.halfway = True
        raise RuntimeError("this forward always fails")


class TrainFlags(nn.Module):
    """Mixed training flags (one child in eval), BN updating running statistics if it ran in train mode."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.5)
        self.bn.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.bn(self.conv(x)))


class OutOps(nn.Module):
    """torch.mm(a, b, out=y) and torch.cat(..., out=buf), into tensors made in the forward and into an empty one."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, 6)  # 48 x 6
        y = torch.empty(rows.shape[0], 6, device=x.device)
        torch.mm(rows, self.fc.weight, out=y)
        buf = torch.empty(2 * rows.shape[0], 6, device=x.device)
        torch.cat([y, rows], out=buf)
        grown = torch.empty(0, device=x.device)  # out= resizes it
        torch.mm(buf, self.fc.weight.t(), out=grown)
        return grown


MODELS: dict[str, Callable[[], nn.Module]] = {"aliased": Aliased, "anchors": Anchors, "writes-state": WritesState,
                                              "train-flags": TrainFlags, "out-ops": OutOps}


def _state(model: nn.Module) -> dict[str, Any]:
    """What the model is: its tensors (objects and copies of their values), attributes and flags."""
    tensors = model.state_dict(keep_vars=True)
    return {
        "tensors": {k: (v, v.detach().clone(), v.device, v.requires_grad) for k, v in tensors.items()},
        "versions": {k: v._version for k, v in tensors.items()},  # autograd's count of in-place writes
        "dicts": [(name, dict(m.__dict__)) for name, m in model.named_modules()],
        "training": [(name, m.training) for name, m in model.named_modules()],
        "params": [id(p) for p in model.parameters()],
    }


def _assert_unchanged(model: nn.Module, before: dict[str, Any]) -> None:
    after = _state(model)
    assert after["tensors"].keys() == before["tensors"].keys()
    for key, (tensor, values, device, requires_grad) in before["tensors"].items():
        now = after["tensors"][key][0]
        assert now is tensor, key  # the same object, not a stand-in or a copy
        assert now.device == device and now.requires_grad == requires_grad, key
        if device.type != "meta":
            assert torch.equal(now.detach(), values), key
    for (name, was), (_, now) in zip(before["dicts"], after["dicts"]):
        assert now.keys() == was.keys(), name
        assert all(now[k] is v for k, v in was.items()), name
    assert after["versions"] == before["versions"]  # a graph built before the analysis can still run backward
    assert after["training"] == before["training"]
    assert after["params"] == before["params"]


def _forward(model: nn.Module, device: str = "cpu") -> torch.Tensor:
    torch.manual_seed(0)
    with torch.no_grad():
        return model(torch.ones(SHAPE, device=device)).cpu()


@pytest.mark.parametrize("device", ["meta", "cpu", CUDA])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_real_model_is_left_as_it_was(name: str, device: str) -> None:
    """Analysed on meta (a CPU model, through stand-ins) or where it lives (CPU, CUDA)."""
    held = "cpu" if device == "meta" else device
    model = MODELS[name]().to(held)
    model.train()
    if name == "train-flags":
        model.bn.eval()
    expected = _forward(copy.deepcopy(model), held)  # the copy's forward may change the copy, never the model
    before = _state(model)
    analysis = archcost.analyze(model, SHAPE, device=device)
    assert analysis.totals["params"] == sum(p.numel() for p in set(model.parameters()))
    _assert_unchanged(model, before)
    assert torch.equal(_forward(model, held), expected)  # the user's next real forward works, with the same result


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_meta_model_is_left_as_it_was(name: str) -> None:
    model = MODELS[name]().to("meta")
    before = _state(model)
    archcost.analyze(model, SHAPE)
    _assert_unchanged(model, before)


@pytest.mark.parametrize("device", ["meta", "cpu", CUDA])
def test_a_forward_that_raises_leaves_the_model_as_it_was(device: str) -> None:
    held = "cpu" if device == "meta" else device
    model = Raises().to(held)
    reference = copy.deepcopy(model)
    before = _state(model)
    with pytest.raises(ForwardError, match="this forward always fails"):
        archcost.analyze(model, SHAPE, device=device)
    _assert_unchanged(model, before)
    assert "halfway" not in model.__dict__ and "added" not in model._buffers
    with pytest.raises(RuntimeError):
        _forward(model, held)
    assert torch.equal(model.steps, reference.steps + 1)  # the model's own forward, once, from its old state


def test_the_guard_restores_writes_through_views_and_tied_storage() -> None:
    model = WritesState()
    weight = model.conv.weight.detach().clone()
    archcost.analyze(model, SHAPE, device="cpu")
    assert torch.equal(model.conv.weight.detach(), weight)  # conv.weight.data[0].zero_() wrote through a view
    assert model.steps.item() == 0 and torch.equal(model.ema, torch.ones(4))
    assert torch.equal(model.gram, torch.zeros(4, 4))  # out= aimed at a buffer
    assert model.conv.bias.requires_grad


def _reference_macs(model: nn.Module, shape: tuple[int, ...], device: str) -> int:
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.zeros(shape, device=device))
    return counter.get_total_flops() // 2


@pytest.mark.parametrize("device", ["meta", "cpu", CUDA])
def test_out_ops_are_counted_like_flop_counter(device: str) -> None:
    model = OutOps().to(device)
    analysis = archcost.analyze(model, SHAPE, device=device)
    rows = SHAPE[0] * SHAPE[1] * SHAPE[2]  # 48 rows of 6
    assert analysis.totals["macs"] == rows * 6 * 6 + 2 * rows * 6 * 6 == _reference_macs(model, SHAPE, device)
    assert analysis.rows[0]["output_shape"] == (2 * rows, 6)  # the resized out= tensor is the output
    assert "mm" not in analysis.uncounted_ops and "cat" not in analysis.uncounted_ops


class WritesWeight(nn.Module):
    """A forward that writes into its own trainable parameter in place (a weight normalised on every call)."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.tensor([[1.0, -2.0], [3.0, 0.5]]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            self.weight.div_(self.weight.norm())
            self.weight.data.mul_(2)  # .data: a write autograd does not count
        return x @ self.weight


def test_a_graph_built_before_a_cpu_analysis_still_runs_backward() -> None:
    model = WritesWeight()
    x = torch.tensor([[1.0, 2.0], [0.5, -1.0]])
    loss = (x @ model.weight).pow(2).sum()  # saves x and the weight: its backward checks the weight's version
    version, values = model.weight._version, model.weight.detach().clone()
    analysis = archcost.analyze(model, (2, 2), device="cpu")
    assert analysis.totals["macs"] == 2 * 2 * 2  # (2, 2) @ (2, 2): M*K*N
    assert model.weight._version == version and torch.equal(model.weight.detach(), values)
    loss.backward()
    assert model.weight.grad is not None
    # d/dW sum((xW)^2) = 2 x^T (x W), by hand with the values the weight had all along
    assert torch.allclose(model.weight.grad, 2 * x.t() @ (x @ values))


def test_torchvision_anchor_generator_keeps_its_cpu_anchors() -> None:
    detection = pytest.importorskip("torchvision.models.detection")
    from torchvision.models.detection.image_list import ImageList

    class Anchored(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, stride=4, padding=1)
            self.anchors = detection.anchor_utils.AnchorGenerator(((16, 32),), ((0.5, 1.0, 2.0),))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            features = self.conv(x)
            images = ImageList(x, [tuple(x.shape[-2:])] * x.shape[0])
            return torch.cat(self.anchors(images, [features]))

    model = Anchored()
    expected = _forward_image(copy.deepcopy(model))
    before = _state(model)
    held = list(model.anchors.cell_anchors)
    archcost.analyze(model, (1, 3, 32, 32))  # on meta: the forward moves the anchors to meta
    _assert_unchanged(model, before)
    assert all(a is b and a.device.type == "cpu" for a, b in zip(model.anchors.cell_anchors, held))
    assert torch.equal(_forward_image(model), expected)


def _forward_image(model: nn.Module) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.ones(1, 3, 32, 32))
