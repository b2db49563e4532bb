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
