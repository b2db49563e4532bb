"""The datasheet profiles: every figure cited, dense figures derived from the printed ones as the file says."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

import archcost
from archcost.predict.specs import spec_names, spec_profile

DATA = json.loads(resources.files("archcost.predict").joinpath("gpu_specs.json").read_text())


def _number(printed: str) -> float:
    figures = re.findall(r"(\d[\d,]*\.?\d*)\s*(?:tera|TFLOPS|TB/s|GB/s|teraFLOPs)", printed)
    return float(figures[-1].replace(",", ""))


def test_the_issue_s_gpus_are_there() -> None:
    assert set(spec_names()) >= {"h100", "h200", "a100", "l4", "t4"}


@pytest.mark.parametrize("name", ["h100", "h200", "a100", "l4", "t4"])
def test_every_figure_is_cited_and_matches_the_printed_text(name: str) -> None:
    gpu = DATA["gpus"][name]
    assert gpu["source"]["title"].startswith("NVIDIA") and "Datasheet" in gpu["source"]["title"]
    assert gpu["source"]["url"].startswith("https://")
    for dtype, tflops in gpu["peak_tflops"].items():
        printed = gpu["printed"][dtype]
        # A figure printed 'with sparsity' (*) is twice the dense one; an A100 line prints both, dense first.
        expected = _number(printed.split("|")[0]) / (2 if printed.endswith("*") and "|" not in printed else 1)
        assert tflops == pytest.approx(expected, rel=1e-3), (name, dtype)
    printed = gpu["printed_bandwidth"]
    scale = 1e-3 if "GB/s" in printed else 1.0
    assert gpu["memory_bandwidth_tb_per_s"] == pytest.approx(_number(printed) * scale)


def test_a_spec_profile_holds_the_datasheet_figures() -> None:
    profile = spec_profile("h100", "bfloat16")
    assert profile["source"] == "spec"
    assert profile["model"]["peak_macs_per_s"] == pytest.approx(989.5e12 / 2)
    assert profile["model"]["bandwidth_bytes_per_s"] == pytest.approx(3.35e12)
    with pytest.raises(archcost.errors.UsageError, match="no bfloat16"):
        spec_profile("t4", "bfloat16")


def test_a_spec_prediction_is_marked_spec() -> None:
    analysis = archcost.analyze("resnet20", predict="a100")
    assert analysis.provenance["device_profile"]["source"] == "spec"
    assert analysis.provenance["device_profile"]["differs"] == []
    assert any("spec profile a100" in n for n in analysis.provenance["notes"])
    # resnet20 at batch 1 on a data-centre GPU: far below a millisecond of arithmetic, so launch overheads decide.
    assert analysis.totals["predicted_bound"] == "overhead"
