"""Data of ``archcost plot memory``: training memory of one step against batch size, by kind, and what fits.

Every figure is traced on the meta device by archcost.training.memory; no matplotlib here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from archcost.errors import UsageError
from archcost.plots.chart_data import ChartData

KINDS = ("parameter_bytes", "gradient_bytes", "optimizer_state_bytes", "saved_activation_bytes",
         "backward_transient_bytes")


def memory_chart(*, arch: str, batches: tuple[int, ...], device_bytes: int | None, optimizer: str = "adam",
                 dtype: str = "float32", master_dtype: str | None = None) -> ChartData:
    """One row per batch size (kinds stacked in KINDS order), the largest batch that fits ``device_bytes``."""
    import torch

    from archcost.training.memory import training_memory
    from archcost.training.memory_batch import largest_batch
    from archcost.training.optimizer_state import check_optimizer
    from archcost.zoo.resolve import build, resolve

    check_optimizer(optimizer)
    if not batches or min(batches) < 1:
        raise UsageError("--batch takes positive batch sizes, e.g. 1,2,4,8")
    resolved = resolve(arch)
    if resolved.input_shape is None:
        raise UsageError(f"{arch}: its input shape is not known; plot memory needs a registry network")
    model = build(arch)

    @cache
    def memory(batch: int) -> Any:
        x = torch.empty((batch, *resolved.input_shape), device="meta")
        return training_memory(model, x, optimizer=optimizer, dtype=dtype, master_dtype=master_dtype)

    rows = []
    for batch in sorted(set(batches)):
        m = memory(batch)
        row: dict[str, Any] = {"batch": batch, **{k: getattr(m, k) for k in KINDS},
                               "peak_train_bytes": m.peak_train_bytes}
        if device_bytes is not None:
            row["fits"] = m.peak_train_bytes <= device_bytes
        rows.append(row)
    fits = None if device_bytes is None else largest_batch(lambda b: memory(b).peak_train_bytes, device_bytes)
    precision = dtype if master_dtype is None else f"{dtype} with {master_dtype} master weights"
    caption = [(f"{resolved.name}: memory of one training step ({optimizer}, {precision}), traced by archcost on "
               "the meta device; peak = parameters + gradients + optimizer state + saved activations + the largest "
               "backward transient.")]
    if device_bytes is not None:
        caption.append(f"Largest batch that fits {device_bytes / 1e9:,.1f} GB: {fits:,} (doubling + bisection, "
                       "each batch traced).")
    return ChartData(
        kind="memory", title=f"{resolved.name}: training memory against batch size "
                             f"(input {'x'.join(map(str, resolved.input_shape))})",
        rows=rows, columns=("batch", *KINDS, "peak_train_bytes", *(("fits",) if device_bytes is not None else ())),
        caption=caption,
        meta={"arch": resolved.name, "input_shape": list(resolved.input_shape), "optimizer": optimizer,
              "dtype": dtype, "master_dtype": master_dtype, "device_memory_bytes": device_bytes,
              "largest_batch": fits},
    )
