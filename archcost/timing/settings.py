"""What a benchmark run is asked to do: closed option sets and one frozen settings record. Torch-free, so the CLI
validates everything before torch is imported, and the settings travel to an isolated worker process as JSON."""

from __future__ import annotations

import re
import warnings
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any

from archcost.dtypes import Dtype
from archcost.errors import Option, UsageError, literal


class BenchDevice(StrEnum):
    CPU = "cpu"
    CUDA = "cuda"


def deprecated_dtype() -> type[Dtype]:
    """``BenchDtype``, bench's own dtype enumeration before archcost had one (archcost/dtypes.py): still answered,
    with a DeprecationWarning pointing at the caller's line."""
    warnings.warn("BenchDtype is deprecated: use archcost.dtypes.Dtype, the one dtype enumeration",
                  DeprecationWarning, stacklevel=3)
    return Dtype


def __getattr__(name: str) -> Any:
    if name == "BenchDtype":
        return deprecated_dtype()
    raise AttributeError(f"module 'archcost.timing.settings' has no attribute {name!r}")


@dataclass(frozen=True)
class BenchSettings:
    """One benchmark configuration; every result records the settings it was measured under.

    ``warmup`` is the minimum number of warm-up calls; warm-up then continues until the medians of two consecutive
    windows of ``window`` calls agree within ``stability`` (or ``max_warmup_s`` has passed). Measurement lasts at least
    ``min_time_s`` and at least ``min_runs`` calls.
    """

    device: BenchDevice = BenchDevice.CPU
    dtype: Dtype = Dtype.FLOAT32
    channels_last: bool = False
    compile: bool = False
    warmup: int = 3
    min_time_s: float = 1.0
    min_runs: int = 5
    max_runs: int = 100_000
    window: int = 3
    stability: float = 0.05
    max_warmup_s: float | None = None  # None: max(1 s, min_time_s); 30 s when compiling
    threads: int | None = None  # CPU intra-op threads (torch.set_num_threads); None keeps torch's default
    isolate: bool = False  # each network in its own process (fresh allocator, fresh caches)
    layers: bool = False  # also time every module (per-layer times and roofline rows)
    input_shape: str | None = None  # CxHxW; None: the architecture's native input

    def __post_init__(self) -> None:
        object.__setattr__(self, "device", BenchDevice(self.device))
        object.__setattr__(self, "dtype", Dtype(self.dtype))
        if self.warmup < 0:
            raise UsageError("$warmup must be 0 or more", Option("warmup"))
        if not self.min_time_s >= 0:
            raise UsageError("$min_time_s must be 0 seconds or more", Option("min_time_s"))
        if self.min_runs < 1:
            raise UsageError("$min_runs must be at least 1", Option("min_runs"))
        if self.max_runs < self.min_runs:
            raise UsageError("max_runs must be at least min_runs")
        if self.window < 1 or not self.stability > 0:
            raise UsageError("the warm-up window must be at least 1 call and the stability tolerance positive")
        if self.max_warmup_s is not None and not self.max_warmup_s >= 0:
            raise UsageError("$max_warmup_s must be 0 seconds or more", Option("max_warmup_s"))
        if self.threads is not None and self.threads < 1:
            raise UsageError("$threads must be at least 1", Option("threads"))

    @property
    def warmup_budget_s(self) -> float:
        if self.max_warmup_s is not None:
            return self.max_warmup_s
        # A compiled model keeps slowing down for seconds after its first call (inductor's compile-worker pool
        # starts in the background on the same cores), so it gets a longer budget to settle.
        return max(30.0 if self.compile else 1.0, self.min_time_s)

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.value if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


_BATCH_ITEM = re.compile(r"^[0-9]+$")


def parse_batches(text: str) -> tuple[int, ...]:
    """``"1,8,32"`` -> ``(1, 8, 32)``; anything else (empty items, words, zero) is one clear usage error."""
    items = [item.strip() for item in text.split(",")]
    if not items or not all(_BATCH_ITEM.match(item) for item in items):
        raise UsageError(f"malformed $batches {literal(repr(text))}: expected positive integers separated by commas, "
                         "e.g. 1,8,32", Option("batches"))
    batches = tuple(int(item) for item in items)
    if any(b < 1 for b in batches):
        raise UsageError(f"malformed $batches {literal(repr(text))}: every batch size must be at least 1",
                         Option("batches"))
    if len(set(batches)) != len(batches):
        raise UsageError(f"malformed $batches {literal(repr(text))}: a batch size is repeated", Option("batches"))
    return batches
