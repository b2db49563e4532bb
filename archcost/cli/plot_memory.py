"""``archcost plot memory ARCH``: training memory against batch size, with a device's size and the largest batch."""

from __future__ import annotations

from typing import Annotated

import typer

from archcost.cli.plot import (
    DataFormatOption,
    ImageOutOption,
    _finish,
    _prepare,
    plot_app,
)


DEFAULT_BATCHES = "1,2,4,8,16,32,64"


def _batches(text: str) -> tuple[int, ...]:
    from archcost.errors import UsageError

    try:
        found = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"cannot read --batch {text!r}: give batch sizes separated by commas, e.g. 1,2,4,8") from None
    if min(found) < 1:
        raise UsageError("--batch takes positive batch sizes, e.g. 1,2,4,8")
    return found


@plot_app.command("memory")
def memory_command(
    arch: Annotated[str, typer.Argument(help="Registry name.")],
    batch: Annotated[str | None, typer.Option("--batch", help="Batch sizes, comma separated (default: 1,2,4,...,64 "
                                                 "and, with --device-memory, on to the largest batch that "
                                                 "fits).")] = None,
    device_memory: Annotated[str | None, typer.Option("--device-memory", help="Device size drawn as a line "
                                                         "(80GB, 24GiB, 16000MB); the largest batch that fits "
                                                         "is found.")] = None,
    optimizer: Annotated[str, typer.Option("--optimizer", help="sgd, sgd-momentum, adam or adamw.")] = "adam",
    dtype: Annotated[str, typer.Option("--dtype", help="Weights, gradients and activations in this dtype.")]
    = "float32",
    master_dtype: Annotated[str | None, typer.Option("--master-dtype", help="Master weights and optimizer "
                                                        "state in this dtype (default: float32 when --dtype is "
                                                        "16-bit, none otherwise).")] = None,
    format: DataFormatOption = None,
    out: ImageOutOption = None,
) -> None:
    """Memory of one training step against batch size, stacked by kind (parameters, gradients, optimizer state,
    saved activations), with the device's size as a line and the largest batch that fits."""
    from archcost.training.memory_batch import parse_bytes
    from archcost.training.optimizer_state import as_dtype, check_optimizer

    batches = _batches(batch if batch is not None else DEFAULT_BATCHES)
    device_bytes = parse_bytes(device_memory) if device_memory is not None else None
    check_optimizer(optimizer)
    if master_dtype is None and as_dtype(dtype).itemsize < 4:
        master_dtype = "float32"  # mixed precision as trainers run it: 16-bit compute, float32 masters
    if master_dtype is not None:
        as_dtype(master_dtype)
    image = _prepare(format, out)
    from archcost.plots.memory_data import memory_chart

    _finish(memory_chart(arch=arch, batches=batches, device_bytes=device_bytes, optimizer=optimizer, dtype=dtype,
                         master_dtype=master_dtype, extend_to_fit=batch is None), image, format, out)
