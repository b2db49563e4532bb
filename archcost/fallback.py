"""``device="auto"``'s fallback: a forward that needs tensor values on meta is analysed again on a real device.

Detection and segmentation heads (``nonzero``, ``nms``), ``.item()`` and ``.tolist()`` need values that meta tensors
do not have. For a model outside the registry, ``auto`` then builds it on CPU with random weights and feeds random
float inputs (integer inputs stay zeros), all drawn from ``torch.manual_seed(SEED)`` in this order: the build first,
then the inputs. The caller's RNG state is forked and restored, so the rerun is reproducible and invisible to it. A
user's own instance keeps its weights and runs on the device it is on; an instance on meta cannot be rerun.
"""

from __future__ import annotations

from typing import Callable

import torch

from archcost.counting.opclass import Device
from archcost.errors import DataDependentError, ForwardError
from archcost.result import Analysis

SEED = 0


def _held_device(model: torch.nn.Module) -> str:
    for tensors in (model.parameters(), model.buffers()):
        for tensor in tensors:
            return tensor.device.type
    return "cpu"  # a model without tensors runs anywhere


def rerun(error: DataDependentError, *, model: torch.nn.Module | None, build: Callable[[], torch.nn.Module] | None,
          count_on: Callable[..., Analysis]) -> Analysis:
    """Analyse again with values: ``build()`` on CPU (a model resolved from a name) or ``model`` where it is.

    ``count_on(module, device, random_inputs)`` is the analysis itself; its result says how it was obtained."""
    if build is None:
        assert model is not None
        device = _held_device(model)
        if device == "meta":
            raise ForwardError(f"{error.reason} (in {error.where}), and the model's own tensors are on meta, so it "
                               "cannot be analysed again with values: build it on CPU and pass that instance")
    else:
        device = "cpu"
    with torch.random.fork_rng(devices=[]):  # the caller's RNG state is restored afterwards
        torch.manual_seed(SEED)
        module = build() if build is not None else model
        analysis = count_on(module, Device(device), True)
    analysis.device = device
    analysis.provenance["fallback"] = {"device": device, "reason": error.reason, "seed": SEED}
    weights = "random weights and inputs" if build is not None else "the model's own weights and random inputs"
    analysis.provenance.setdefault("notes", []).append(
        f"Analysed on {device}, not meta: {error.reason} (in {error.where}); counted with {weights} from "
        f"torch.manual_seed({SEED}), so data-dependent parts (proposals, detections) are those of that draw.")
    return analysis


