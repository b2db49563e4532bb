"""A synthetic device profile with round figures, so every predicted time can be computed by hand."""

from __future__ import annotations

from typing import Any

from archcost.predict.kinds import COMPUTE_KINDS, FREE_KIND, MEMORY_KINDS
from archcost.predict.profile import SCHEMA

PEAK_MACS_PER_S = 1e9
BANDWIDTH_BYTES_PER_S = 2e9
EFFICIENCY = 0.5
FRACTION = 0.25
KERNEL_OVERHEAD_S = 4e-6
FREE_OVERHEAD_S = 1e-6
MODULE_OVERHEAD_S = 2e-6


def model(**changes: Any) -> dict[str, Any]:
    kinds: dict[str, Any] = {k: {"overhead_s": KERNEL_OVERHEAD_S, "efficiency": EFFICIENCY} for k in COMPUTE_KINDS}
    kinds.update({k: {"overhead_s": KERNEL_OVERHEAD_S, "bandwidth_fraction": FRACTION} for k in MEMORY_KINDS})
    kinds[FREE_KIND] = {"overhead_s": FREE_OVERHEAD_S}
    return {"peak_macs_per_s": PEAK_MACS_PER_S, "bandwidth_bytes_per_s": BANDWIDTH_BYTES_PER_S,
            "module_overhead_s": MODULE_OVERHEAD_S, "kinds": kinds, **changes}


def document(**changes: Any) -> dict[str, Any]:
    import torch

    return {"schema": SCHEMA, "source": "measured", "name": "synthetic", "device": "cpu", "machine": {},
            "torch": torch.__version__, "threads": torch.get_num_threads(), "dtype": "float32",
            "measurements": [], "model": model(), **changes}
