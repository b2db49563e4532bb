"""The profile document: schema and versioning, names, the fit on synthetic measurements (nothing is timed)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import torch

import archcost
from archcost.errors import UsageError
from archcost.predict.fit import fit
from archcost.predict.kinds import COMPUTE_KINDS, MEMORY_KINDS
from archcost.predict.profile import SCHEMA, ProfileWarning, default_path, load, save
from synthetic import document


def _net() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU())


def _saved(tmp_path: Path, **changes: object) -> Path:
    path = tmp_path / "profile.json"
    save(document(**changes), path)
    return path


def test_a_saved_profile_reads_back_and_predicts_silently(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    assert load(path) == json.loads(json.dumps(document()))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        analysis = archcost.analyze(_net(), (1, 8), predict=str(path))
    assert analysis.provenance["device_profile"]["where"] == str(path)
    assert analysis.totals["predicted_ms"] == archcost.analyze(_net(), (1, 8), predict=document()).totals[
        "predicted_ms"]


@pytest.mark.parametrize("changes, named", [
    ({"schema": "archcost.device-profile/2"}, "schema archcost.device-profile/2"),
    ({"torch": "2.0.0"}, "torch 2.0.0"),
    ({"threads": 977}, "977 threads"),
])
def test_another_schema_torch_or_thread_count_warns_naming_it(tmp_path: Path, changes: dict, named: str) -> None:
    path = _saved(tmp_path, **changes)
    with pytest.warns(ProfileWarning, match=named):
        analysis = archcost.analyze(_net(), (1, 8), predict=str(path))
    assert any(named in d for d in analysis.provenance["device_profile"]["differs"])
    assert any(named in n for n in analysis.provenance["notes"])


def test_a_file_of_another_schema_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"schema": "archcost.bench/1"}))
    with pytest.raises(UsageError, match="not a device profile"):
        archcost.analyze(_net(), (1, 8), predict=str(path))
    broken = _saved(tmp_path)
    data = json.loads(broken.read_text())
    del data["model"]["kinds"]["matmul"]
    broken.write_text(json.dumps(data))
    with pytest.raises(UsageError, match="model.kinds.matmul"):
        load(broken)


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match="unknown profile 'h900'.*cpu, h100, h200, a100, l4, t4"):
        archcost.analyze(_net(), (1, 8), predict="h900")


def test_default_path_is_under_the_cache_folder(tmp_path: Path) -> None:
    assert default_path(tmp_path, "cpu", 1, "float32") == tmp_path / "profiles" / "cpu-1t-float32.json"


def test_fit_gives_back_the_parameters_the_measurements_were_made_with() -> None:
    """Measurements generated from known parameters (overhead 10 us, efficiency 0.4 at every grid point, bandwidth
    fraction 0.5): the fit recovers them exactly."""
    peak, bandwidth, overhead = 1e10, 1e10, 1e-5
    measurements = [{"kind": k, "tiny": True, "seconds": overhead} for k in (*COMPUTE_KINDS, *MEMORY_KINDS, "free")]
    for kind in COMPUTE_KINDS:
        for channels in (16, 64):
            for positions in (49, 784):
                macs = channels * positions * 1000
                measurements.append({"kind": kind, "channels": channels, "positions": positions, "macs": macs,
                                     "seconds": overhead + macs / (0.4 * peak)})
    for kind in MEMORY_KINDS:
        for nbytes in (2**14, 2**22):
            measurements.append({"kind": kind, "bytes": nbytes, "bytes_moved": nbytes,
                                 "seconds": overhead + nbytes / (0.5 * bandwidth)})
    model = fit(measurements, peak_macs_per_s=peak, bandwidth_bytes_per_s=bandwidth, module_overhead_s=1e-6)
    conv = model["kinds"]["conv3x3"]
    assert conv["overhead_s"] == overhead
    assert conv["efficiency"]["channels"] == [16, 64] and conv["efficiency"]["positions"] == [49, 784]
    assert all(v == pytest.approx(0.4) for row in conv["efficiency"]["values"] for v in row)
    assert model["kinds"]["copy"]["bandwidth_fraction"]["values"] == [pytest.approx(0.5)] * 2
    assert model["module_overhead_s"] == 1e-6


def test_schema_name() -> None:
    assert SCHEMA == "archcost.device-profile/1"


class _Add(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + x


NBYTES = 2**18
SIDE = round((NBYTES / (2 * 64 * 4)) ** 0.5)  # measure._memory_call's image side for 64 float32 channels


@pytest.mark.parametrize(("kind", "module", "shape"), [
    ("elementwise", _Add(), (NBYTES // 12,)),
    ("transcendental", torch.nn.Sigmoid(), (NBYTES // 8,)),
    ("pool", torch.nn.AvgPool2d(2), (1, 64, SIDE, SIDE))])
def test_a_memory_microbenchmark_counts_the_bytes_the_tracer_counts_for_its_op(kind: str, module: torch.nn.Module,
                                                                                shape: tuple[int, ...]) -> None:
    """A bandwidth fraction is bytes over time: the profile's bytes must be the ones the tracer counts for the same
    op in a network (the pooling one once left out max_pool2d_with_indices' int64 indices). Built, never timed."""
    from archcost.predict import measure

    _call, moved = measure._memory_call(kind, NBYTES, "cpu", torch.float32)
    records = archcost.analyze(module, input_shape=shape).records
    assert sum(r.bytes_in + r.bytes_out for r in records) == moved


def test_every_memory_microbenchmark_output_stays_under_the_new_pages_threshold() -> None:
    """The largest memory point writes at most half its bytes (a copy) and must not pay the new-pages cost the model
    charges apart above FRESH_THRESHOLD_BYTES (glibc's largest mmap threshold)."""
    from archcost.predict import measure

    assert max(measure.MEMORY_BYTES) // 2 < measure.FRESH_THRESHOLD_BYTES
