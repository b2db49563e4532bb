"""Building without weights: the meta device context, tensors moved to meta as they are registered, and a CPU build;
which path was taken is in the provenance, nothing is downloaded, and no build patches torch.nn.init."""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

import archcost
from archcost.cli import run
from archcost.errors import BuildError
from archcost.zoo.resolve import Resolved, construct
from testmodels import rss_bytes

# A builder that computes its widths with tensors and reads them back, as torchvision's RegNet does.
COMPUTED = """
    import torch
    from torch import nn


    def computed():
        widths = (torch.tensor([8.0, 16.0]) * 1.5).round().int().tolist()  # [12, 24]
        return nn.Sequential(nn.Conv2d(3, widths[0], 3), nn.ReLU(), nn.Conv2d(widths[0], widths[1], 3))


    def reads_a_weight():
        # Reads a value from its own parameter: only a build with real tensors can do that.
        probe = nn.Linear(4, 4)
        extra = int(probe.weight.abs().sum().isnan().item()) * 0
        return nn.Sequential(nn.Conv2d(3, 12 + extra, 3), nn.ReLU(), nn.Conv2d(12, 24, 3))


    def huge():
        widths = torch.tensor([20000]).tolist()
        return nn.Sequential(nn.Flatten(), nn.Linear(widths[0], widths[0]), nn.BatchNorm1d(widths[0]))


    def tied():
        shared = nn.Parameter(torch.empty(int(torch.tensor(6).item()), 6))
        first, second = nn.Linear(6, 6, bias=False), nn.Linear(6, 6, bias=False)
        first.weight = shared
        second.weight = shared
        return nn.Sequential(first, second)


    def downloads():
        torch.hub.load_state_dict_from_url("https://download.pytorch.org/models/resnet18-f37072fd.pth")
        return nn.Linear(2, 2)


    def tolerant():
        import urllib.request

        try:
            urllib.request.urlopen("http://example.com/weights.pth", timeout=1)
        except OSError:
            pass  # a library that carries on offline
        return nn.Linear(2, 2)
"""

# conv 3->12 (3x3) and conv 12->24 (3x3), with biases
COMPUTED_PARAMS = 3 * 12 * 9 + 12 + 12 * 24 * 9 + 24
# at 3x16x16: 14x14 then 12x12 outputs
COMPUTED_MACS = 3 * 9 * 12 * 14 * 14 + 12 * 9 * 24 * 12 * 12


@pytest.fixture
def models(tmp_path: Path) -> Path:
    path = tmp_path / "computes.py"
    path.write_text(textwrap.dedent(COMPUTED))
    return path


def test_a_builder_that_reads_its_tensors_is_built_with_tensors_moved_at_registration(models: Path) -> None:
    built = construct(f"{models}:computed")
    assert built.path == "meta-registration"
    assert {p.device.type for p in built.model.parameters()} == {"meta"}
    a = archcost.analyze(f"{models}:computed", "3x16x16")
    assert a.provenance["build"] == "meta-registration"
    assert any("as they were registered" in note and "Cannot copy out of meta tensor" in note
               for note in a.provenance["notes"])
    assert a.totals["params"] == COMPUTED_PARAMS
    assert a.totals["macs"] == COMPUTED_MACS


def test_the_zoo_takes_the_plain_meta_path() -> None:
    a = archcost.analyze("googlenet")
    assert a.provenance["build"] == "meta"
    assert "notes" not in a.provenance


def test_a_builder_that_reads_a_weight_is_built_on_cpu_with_torch_nn_init_untouched(
        models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No build path replaces the initialisers: one replaced for the length of a build would be a no-op for every
    # other thread too. Each path calls the very function torch.nn.init holds, and leaves it there.
    calls = []
    original = nn.init.kaiming_uniform_

    def counted(tensor: torch.Tensor, *args: object, **kwargs: object) -> torch.Tensor:
        calls.append(tensor.device.type)
        return original(tensor, *args, **kwargs)

    monkeypatch.setattr(nn.init, "kaiming_uniform_", counted)
    built = construct(f"{models}:reads_a_weight")
    assert built.path == "cpu-then-meta"
    assert {p.device.type for p in built.model.parameters()} == {"cpu"}
    assert "cpu" in calls  # the CPU build initialised its layers for real
    calls.clear()
    assert construct("resnet20").path == "meta"
    assert calls and set(calls) == {"meta"}  # and the meta build ran them too, on meta tensors
    assert nn.init.kaiming_uniform_ is counted

    a = archcost.analyze(f"{models}:reads_a_weight", "3x16x16")  # counted on meta through stand-ins
    assert a.device == "meta" and a.provenance["build"] == "cpu-then-meta"
    assert any("Built on the CPU" in note for note in a.provenance["notes"])
    assert (a.totals["params"], a.totals["macs"]) == (COMPUTED_PARAMS, COMPUTED_MACS)
    # archcost.build hands out what it promises: a model on meta
    assert {p.device.type for p in archcost.build(f"{models}:reads_a_weight").parameters()} == {"meta"}


def test_off_meta_the_build_path_is_the_device(models: Path) -> None:
    a = archcost.analyze(f"{models}:computed", "3x16x16", device="cpu")
    assert a.provenance["build"] == "cpu"
    assert (a.totals["params"], a.totals["macs"]) == (COMPUTED_PARAMS, COMPUTED_MACS)


def test_registration_allocates_nothing_real(models: Path) -> None:
    # A 20000x20000 linear layer would hold 1.6 GB of real weights.
    before = rss_bytes()
    built = construct(f"{models}:huge")
    a = archcost.analyze(f"{models}:huge", (20000,), batch=8)
    assert rss_bytes() - before < 200 * 2**20
    assert built.path == "meta-registration"
    tensors = [*built.model.parameters(), *built.model.buffers()]
    assert {t.device.type for t in tensors} == {"meta"}
    assert all(t.untyped_storage().nbytes() == 0 or t.device.type == "meta" for t in tensors)
    assert a.totals["params"] == 20000 * 20000 + 20000 + 2 * 20000


def test_a_parameter_shared_by_two_modules_stays_shared(models: Path) -> None:
    built = construct(f"{models}:tied")
    assert built.path == "meta-registration"
    first, second = built.model
    assert first.weight is second.weight and first.weight.is_meta
    assert archcost.analyze(f"{models}:tied", (1, 6)).totals["params"] == 36


def test_the_registration_hooks_are_removed_afterwards(models: Path) -> None:
    register_parameter, register_buffer = nn.Module.register_parameter, nn.Module.register_buffer
    getaddrinfo = socket.getaddrinfo
    construct(f"{models}:computed")
    with pytest.raises(Exception):
        construct(f"{models}:downloads")
    assert (nn.Module.register_parameter, nn.Module.register_buffer) == (register_parameter, register_buffer)
    assert socket.getaddrinfo is getaddrinfo
    assert nn.Linear(2, 2).weight.device.type == "cpu"


def test_a_builder_that_downloads_is_refused_in_one_line(models: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "hub"))
    with pytest.raises(BuildError, match=r"tried to download \(from download\.pytorch\.org"):
        construct(f"{models}:downloads")
    assert run(["table", f"{models}:downloads", "--input", "3x8x8"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "archcost never does" in err and "internal error" not in err
    assert not any((tmp_path / "hub").rglob("*.pth"))


def test_a_refused_connection_that_the_builder_survives_is_said(models: Path) -> None:
    a = archcost.analyze(f"{models}:tolerant", (1, 2))
    assert any("tried to reach the network" in note for note in a.provenance["notes"])
    assert a.totals["params"] == 6


def test_construct_takes_a_resolved_builder() -> None:
    built = construct(Resolved("inline", lambda: nn.Conv2d(3, 4, 1), None))
    assert built.path == "meta" and built.model.weight.is_meta
    assert built.provenance() == {"build": "meta"}


def test_torchvision_regnets_are_built_and_match_the_published_figures() -> None:
    torchvision = pytest.importorskip("torchvision")
    names = torchvision.models.list_models(include="regnet*")
    assert len(names) == 15
    for name in names:
        weights = torchvision.models.get_model_weights(name).DEFAULT
        crop = weights.transforms.keywords.get("crop_size", 224)
        a = archcost.analyze(f"torchvision:{name}", f"3x{crop}x{crop}")
        assert a.provenance["build"] == "meta-registration", name
        assert a.totals["params"] == weights.meta["num_params"], name
        assert round(a.totals["macs"] / 1e9, 3) == weights.meta["_ops"], name
