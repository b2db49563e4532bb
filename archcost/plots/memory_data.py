"""Data of ``archcost plot memory``: training memory of one step against batch size, by kind, and what fits.

Every figure is traced on the meta device by archcost.training.memory; no matplotlib here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from archcost.errors import Option, UsageError
from archcost.plots.chart_data import ChartData

KINDS = ("parameter_bytes", "buffer_bytes", "gradient_bytes", "optimizer_state_bytes", "saved_activation_bytes",
         "backward_transient_bytes")


def plotted_batches(batches: tuple[int, ...], largest: int | None) -> list[int]:
    """The asked ``batches``, then (when the ``largest`` batch that fits is past them) the powers of two up to it and
    that batch itself: the chart reaches the edge it reports instead of stopping far short of it."""
    asked = set(batches)
    if not largest or largest <= max(asked):
        return sorted(asked)
    return sorted(asked | {2**k for k in range(largest.bit_length()) if 2**k > max(asked)} | {largest})


def memory_chart(*, arch: str, batches: tuple[int, ...], device_bytes: int | None, optimizer: str = "adam",
                 dtype: str = "float32", master_dtype: str | None = None, extend_to_fit: bool = False) -> ChartData:
    """One row per batch size (kinds stacked in KINDS order), the largest batch that fits ``device_bytes``;
    ``extend_to_fit``: the rows go on to that batch (plotted_batches)."""
    import torch

    from archcost.training.memory import training_memory
    from archcost.training.memory_batch import largest_batch
    from archcost.training.optimizer_state import check_optimizer
    from archcost.zoo.resolve import build, resolve

    check_optimizer(optimizer)
    if not batches or min(batches) < 1:
        raise UsageError("$batch takes positive batch sizes, e.g. 1,2,4,8", Option("batch"))
    resolved = resolve(arch)
    if resolved.input_shape is None:
        raise UsageError(f"{arch}: its input shape is not known; plot memory needs a registry network")
    model, per_sample = build(arch), resolved.input_shape

    @cache
    def memory(batch: int) -> Any:
        x = torch.empty((batch, *per_sample), device="meta")
        return training_memory(model, x, optimizer=optimizer, dtype=dtype, master_dtype=master_dtype)

    fits = None if device_bytes is None else largest_batch(lambda b: memory(b).peak_train_bytes, device_bytes)
    rows = []
    for batch in plotted_batches(batches, fits if extend_to_fit else None):
        m = memory(batch)
        row: dict[str, Any] = {"batch": batch, **{k: getattr(m, k) for k in KINDS},
                               "peak_train_bytes": m.peak_train_bytes}
        if device_bytes is not None:
            row["fits"] = m.peak_train_bytes <= device_bytes
        rows.append(row)
    precision = dtype if master_dtype is None else f"{dtype} with {master_dtype} master weights"
    caption = [(f"{resolved.name}: memory of one training step ({optimizer}, {precision}), traced by archcost on "
               "the meta device; peak = parameters + buffers + gradients + optimizer state + saved activations + "
               "the largest backward transient.")]
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
