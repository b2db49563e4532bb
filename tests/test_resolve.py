"""Names outside the zoo: torchvision:/timm: models when those packages are installed, and import paths."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest
from torch import nn

import archcost
from archcost.errors import UsageError
from testmodels import TinyResNet


def test_torchvision_that_does_not_import_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # The published configurations themselves are tested with the real torchvision in tests/external/.
    monkeypatch.setitem(sys.modules, "torchvision", None)  # import torchvision raises ImportError
    with pytest.raises(UsageError, match=r"'torchvision:resnet50' needs torchvision, which does not import"):
        archcost.analyze("torchvision:resnet50")


def test_timm_names_are_built_without_pretrained_weights_at_their_cfg_input(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def create_model(name: str, *, pretrained: bool, **overrides: object) -> nn.Module:
        calls.append((name, pretrained, overrides))
        return TinyResNet()

    cfg = types.SimpleNamespace(input_size=(3, 40, 48), tag="tiny_tag")
    stand_in = types.ModuleType("timm")
    stand_in.create_model = create_model  # type: ignore[attr-defined]
    stand_in.is_model = lambda name: name == "anything"  # type: ignore[attr-defined]
    stand_in.list_models = lambda: ["anything"]  # type: ignore[attr-defined]
    stand_in.models = types.SimpleNamespace(get_pretrained_cfg=lambda name: cfg)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "timm", stand_in)
    a = archcost.analyze("timm:anything")
    assert calls and all(call == ("anything", False, {}) for call in calls)  # never pretrained weights
    assert a.input_shape == (1, 3, 40, 48)  # the pretrained configuration's input_size, not 224
    assert a.provenance["input_source"] == "timm pretrained_cfg anything.tiny_tag input_size=3x40x48"
    assert a.totals["params"] == sum(p.numel() for p in TinyResNet().parameters())
    with pytest.raises(UsageError, match="timm has no model 'anythin'; did you mean anything"):
        archcost.analyze("timm:anythin")


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
