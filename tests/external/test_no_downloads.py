"""Building any torchvision model never downloads: one model of every builder module, under a guard at the edges."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

tv_models = pytest.importorskip("torchvision.models")
torch_hub = pytest.importorskip("torch.hub")

import archcost  # noqa: E402


class Fetched(Exception):
    pass


def _guard(monkeypatch: pytest.MonkeyPatch, calls: list[str]) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        calls.append(str(args[0]) if args else str(kwargs))
        raise Fetched(calls[-1])

    from torchvision.models import _api

    monkeypatch.setattr(urllib.request, "urlopen", refuse)  # the network edge
    monkeypatch.setattr(torch_hub, "load_state_dict_from_url", refuse)  # also a cached file on disk
    monkeypatch.setattr(torch_hub, "download_url_to_file", refuse)
    monkeypatch.setattr(_api, "load_state_dict_from_url", refuse)  # torchvision's own import of it


def _one_per_builder_module() -> list[str]:
    chosen: dict[str, str] = {}
    for name in tv_models.list_models():
        module = tv_models.get_model_builder(name).__module__
        if "quantization" not in module:
            chosen.setdefault(module, name)
    return sorted(chosen.values())


def test_the_guard_catches_a_weights_download(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    _guard(monkeypatch, calls)
    with pytest.raises(Fetched):  # torchvision itself, asked for weights, is stopped by the guard
        tv_models.squeezenet1_1(weights="DEFAULT")
    assert calls and calls[0].startswith("https://download.pytorch.org/")


@pytest.mark.parametrize("name", _one_per_builder_module())
def test_building_never_downloads(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    calls: list[str] = []
    _guard(monkeypatch, calls)
    model = archcost.build(f"torchvision:{name}")
    assert calls == []
    assert {p.device.type for p in model.parameters()} == {"meta"}
    published = tv_models.get_model_weights(name).DEFAULT.meta["num_params"]
    assert sum(p.numel() for p in model.parameters()) == published
