"""Data-dependent forwards: named on meta, analysed again on CPU with a fixed seed under ``device="auto"``, strict
under ``device="meta"``."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import archcost
from archcost.cli import run
from archcost.errors import DataDependentError, ForwardError
from archcost.zoo import registry


class Proposals(nn.Module):
    """Its cost depends on the data: the head runs once for every positive feature, found with ``torch.nonzero``."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.head = nn.Linear(4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.conv(x).permute(0, 2, 3, 1).reshape(-1, 4)  # one row per position
        keep = torch.nonzero(features[:, 0] > 0).flatten()
        return self.head(features[keep])


class Scaled(nn.Module):
    """``.item()``: a Python number read from a tensor."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        repeats = 1 + int(self.fc(x).sum().item() > 0)
        return self.fc(x.repeat(repeats, 1))


def proposals() -> nn.Module:
    return Proposals()


def scaled() -> nn.Module:
    return Scaled()


def _reference(build: object, shape: tuple[int, ...]) -> tuple[int, int]:
    """Parameters and FlopCounterMode MACs of the same draw the fallback makes: seed 0, the build, then the input."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = build().eval()  # type: ignore[operator]
        example = torch.randn(shape)
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(example)
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2


def test_a_data_dependent_forward_is_analysed_again_on_cpu() -> None:
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a = archcost.analyze("test_fallback:proposals", "3x8x8")
    assert torch.equal(torch.get_rng_state(), state)  # the caller's RNG is untouched
    assert a.device == "cpu"
    assert a.provenance["fallback"] == {"device": "cpu", "reason": "aten.nonzero needs data on meta", "seed": 0}
    assert any("Analysed on cpu, not meta: aten.nonzero needs data on meta" in n for n in a.provenance["notes"])
    params, macs = _reference(Proposals, (1, 3, 8, 8))
    assert a.totals["params"] == params == 4 * 27 + 4 + 4 * 5 + 5
    assert a.totals["macs"] == macs
    kept = a.layer("head")["macs"] // (4 * 5)  # rows the head ran on: data-dependent, between none and all 64
    assert 0 < kept < 64 and a.layer("conv")["macs"] == 27 * 4 * 64
    assert archcost.analyze("test_fallback:proposals", "3x8x8").totals == a.totals  # the same draw each time


def test_item_is_named_and_analysed_again() -> None:
    a = archcost.analyze("test_fallback:scaled", "8")
    assert a.provenance["fallback"]["reason"] == "aten._local_scalar_dense (.item(), bool(), int()) needs data on meta"
    assert a.totals["macs"] == _reference(Scaled, (1, 8))[1]


def test_an_explicit_meta_stays_strict() -> None:
    expected = r"aten\.nonzero needs data on meta, in test_fallback:proposals \(Proposals\); analyse it on CPU"
    with pytest.raises(DataDependentError, match=expected):
        archcost.analyze("test_fallback:proposals", "3x8x8", device="meta")


def test_a_cpu_instance_is_analysed_where_it_is_with_its_own_weights() -> None:
    model = Proposals()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    a = archcost.analyze(model, "3x8x8")
    assert a.device == "cpu" and a.provenance["fallback"]["device"] == "cpu"
    assert "the model's own weights" in a.provenance["notes"][-1]
    assert model.training and all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        example = torch.randn(1, 3, 8, 8)
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model.eval()(example)
    assert a.totals["macs"] == counter.get_total_flops() // 2


def test_a_meta_instance_cannot_be_analysed_again() -> None:
    with torch.device("meta"):
        model = Proposals()
    with pytest.raises(ForwardError, match="the model's own tensors are on meta, so it cannot be analysed again"):
        archcost.analyze(model, "3x8x8")


def test_a_registry_network_never_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = registry.get("resnet20")
    monkeypatch.setitem(registry._loaded(), "test-proposals",
                        registry.Entry(name="test-proposals", family="test", paper=entry.paper,
                                       input_shape=(3, 8, 8), dataset="none", num_classes=5, builder=Proposals))
    with pytest.raises(DataDependentError, match=r"aten\.nonzero needs data on meta"):
        archcost.analyze("test-proposals")


def _table(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(["table", "test_fallback:proposals", "--input", "3x8x8", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_every_output_format_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _table(capsys, "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["device"] == "cpu"
    assert document["provenance"]["fallback"] == {"device": "cpu", "reason": "aten.nonzero needs data on meta",
                                                  "seed": 0}
    assert document["totals"]["macs"] == _reference(Proposals, (1, 3, 8, 8))[1]
    for format in ("table", "markdown"):
        code, out, err = _table(capsys, "--format", format)
        assert code == 0, err
        assert "device cpu" in out and "Analysed on cpu, not meta: aten.nonzero needs data on meta" in out
    code, out, err = _table(capsys, "--format", "csv")
    header, first = out.splitlines()[:2]
    assert code == 0 and header.endswith(",device,fallback")
    assert first.endswith(",cpu,aten.nonzero needs data on meta; seed 0")


def test_the_cli_with_device_meta_is_one_line_naming_the_op(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _table(capsys, "--device", "meta")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and err.startswith("archcost: error: ")
    assert "aten.nonzero needs data on meta" in err


def test_torchvision_detection_falls_back_and_matches_flop_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    torchvision = pytest.importorskip("torchvision")

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("nothing may be downloaded")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_download)
    name = "fasterrcnn_mobilenet_v3_large_320_fpn"
    a = archcost.analyze(f"torchvision:{name}", "3x320x320", weights_backbone=None)
    assert a.device == "cpu" and a.provenance["fallback"]["reason"] == "aten.nonzero needs data on meta"

    def build() -> nn.Module:
        return torchvision.models.get_model(name, weights=None, weights_backbone=None)

    params, macs = _reference(build, (1, 3, 320, 320))
    assert a.totals["params"] == params
    assert a.totals["macs"] == macs
