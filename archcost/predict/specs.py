"""Datasheet profiles of GPUs one may not have (``--predict h100``): peak dense FLOP/s per dtype and memory
bandwidth from the vendor's datasheet (``gpu_specs.json``, each cited), with default efficiencies. Torch-free."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from archcost.errors import UsageError
from archcost.predict.kinds import COMPUTE_KINDS, FREE_KIND, MEMORY_KINDS
from archcost.predict.profile import SCHEMA


@cache
def _data() -> dict[str, Any]:
    return json.loads(resources.files("archcost.predict").joinpath("gpu_specs.json").read_text(encoding="utf-8"))


def spec_names() -> list[str]:
    return list(_data()["gpus"])


def spec_profile(name: str, dtype: str = "float32") -> dict[str, Any]:
    """The ``archcost.device-profile/1`` document of GPU ``name`` at ``dtype``, marked ``source: spec``."""
    data = _data()
    gpu = data["gpus"][name]
    if dtype not in gpu["peak_tflops"]:
        raise UsageError(f"the {name} datasheet gives no {dtype} figure; choose one of "
                         f"{', '.join(gpu['peak_tflops'])}")
    defaults = data["defaults"]
    kinds: dict[str, Any] = {kind: {"overhead_s": defaults["kernel_overhead_s"],
                                    "efficiency": defaults["efficiency"][kind]} for kind in COMPUTE_KINDS}
    kinds.update({kind: {"overhead_s": defaults["kernel_overhead_s"],
                         "bandwidth_fraction": defaults["bandwidth_fraction"][kind]} for kind in MEMORY_KINDS})
    kinds[FREE_KIND] = {"overhead_s": defaults["free_overhead_s"]}
    return {
        "schema": SCHEMA, "source": "spec", "name": name, "device": "cuda", "machine": gpu["name"],
        "torch": None, "threads": None, "dtype": dtype, "citation": gpu["source"],
        "measurements": [],
        "model": {"peak_macs_per_s": gpu["peak_tflops"][dtype] * 1e12 / 2,
                  "bandwidth_bytes_per_s": gpu["memory_bandwidth_tb_per_s"] * 1e12,
                  "module_overhead_s": defaults["module_overhead_s"], "kinds": kinds},
    }
