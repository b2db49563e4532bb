"""Device sizes from the command line and the largest batch whose training step fits in one."""

from __future__ import annotations

import re
from collections.abc import Callable

from archcost.errors import UsageError

# Decimal units as disk and GPU vendors print them (80GB = 80e9), binary ones with an "i" (24GiB = 24 * 2**30).
UNIT_BYTES = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
              "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
MAX_BATCH = 2**24  # a search that passes this has a model whose memory does not grow with the batch


def parse_bytes(text: str) -> int:
    """'80GB', '24GiB', '16000MB', '1.5TB' -> bytes; anything else a one-line UsageError."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    unit = found.group(2).upper() if found else ""
    if not found or unit not in UNIT_BYTES or float(found.group(1)) <= 0:
        raise UsageError(f"cannot read the device memory {text!r}: give a positive size such as 80GB, 24GiB or "
                         "16000MB")
    return int(float(found.group(1)) * UNIT_BYTES[unit])


def largest_batch(peak_bytes_of: Callable[[int], int], limit_bytes: int) -> int:
    """The largest batch b with peak_bytes_of(b) <= limit_bytes (0 when batch 1 does not fit).

    Doubling finds a batch that does not fit, bisection the edge: O(log b) traced steps. Assumes the peak grows
    with the batch, which holds for a training step (every saved activation scales with it)."""
    if peak_bytes_of(1) > limit_bytes:
        return 0
    fits, too_big = 1, 2
    while peak_bytes_of(too_big) <= limit_bytes:
        fits, too_big = too_big, too_big * 2
        if too_big > MAX_BATCH:
            raise UsageError(f"the training memory does not reach the device size below batch {MAX_BATCH:,}")
    while too_big - fits > 1:
        middle = (fits + too_big) // 2
        fits, too_big = (middle, too_big) if peak_bytes_of(middle) <= limit_bytes else (fits, middle)
    return fits
