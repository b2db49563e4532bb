"""Names outside the zoo: torchvision:/timm: models when those packages are installed, and import paths."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest
from torch import nn

import archcost
from testmodels import TinyResNet


def test_torchvision_names_are_built_through_get_model(monkeypatch: pytest.MonkeyPatch) -> None:
    # torchvision does not import beside this torch build, so a stand-in with its API checks the plumbing.
    calls = []

    def get_model(name: str, *, weights: object = None, **overrides: object) -> nn.Module:
        calls.append((name, weights, overrides))
        return TinyResNet()

    stand_in = types.ModuleType("torchvision")
    stand_in.models = types.SimpleNamespace(get_model=get_model)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torchvision", stand_in)
    a = archcost.analyze("torchvision:tiny", "3x32x32")
    assert calls == [("tiny", None, {})]  # never downloads weights
    assert a.model == "torchvision:tiny"
    assert a.totals["params"] == sum(p.numel() for p in TinyResNet().parameters())


def test_timm_names_are_built_without_pretrained_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in = types.ModuleType("timm")
    stand_in.create_model = lambda name, pretrained, **kw: TinyResNet() if not pretrained else None  # type: ignore
    monkeypatch.setitem(sys.modules, "timm", stand_in)
    assert archcost.analyze("timm:anything", "3x32x32").totals["macs"] > 0


def test_import_path_models_are_built_on_meta() -> None:
    model = archcost.build("testmodels:tiny_resnet")
    assert {p.device.type for p in model.parameters()} == {"meta"}


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "archcost", "list", "googlenet", "--format", "csv"],
                          capture_output=True, text=True, cwd=Path(__file__).parent)
    assert done.returncode == 0
    assert done.stdout.splitlines()[1].startswith("googlenet,inception,3x224x224,imagenet,1000,")


def test_construct_says_how_the_model_was_built_and_with_what() -> None:
    from archcost.zoo.resolve import Resolved, construct

    def builder(*, num_classes: int = 1000, width: int = 4) -> nn.Module:
        return nn.Sequential(nn.Conv2d(3, width, 1), nn.Flatten(), nn.LazyLinear(num_classes))

    published = Resolved("published", builder, (3, 8, 8), config={"num_classes": 10, "width": 4})
    built = construct(published, overrides={"width": 6})
    assert built.resolved is published and built.path == "meta"
    assert isinstance(built.model, nn.Module) and built.model[0].weight.is_meta
    assert built.model[0].out_channels == 6  # the builder was called with the overrides
    # the published configuration and the user's arguments, the user's winning
    assert built.provenance() == {"build": "meta", "config": {"num_classes": 10, "width": 6}}


def test_an_argument_a_kwargs_builder_refuses_is_a_usage_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from archcost.errors import UsageError

    def get_model(name: str, *, weights: object = None, **overrides: object) -> nn.Module:
        return TinyResNet(**overrides)  # type: ignore[arg-type]

    stand_in = types.ModuleType("torchvision")
    stand_in.models = types.SimpleNamespace(get_model=get_model)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torchvision", stand_in)
    with pytest.raises(UsageError, match=r"torchvision:tiny does not take the builder argument 'widht' \(TypeError"):
        archcost.analyze("torchvision:tiny", "3x32x32", widht=3)
