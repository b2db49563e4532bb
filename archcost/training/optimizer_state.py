"""How many parameter-shaped state tensors each optimizer keeps, and their bytes: a table, not a guess.

torch.optim's own state: SGD without momentum keeps none, SGD with momentum one ``momentum_buffer``, Adam and AdamW
``exp_avg`` and ``exp_avg_sq`` (``amsgrad`` off, the default). With mixed precision the optimizer also keeps a master
copy of every trainable parameter in ``master_dtype`` and its state in that dtype, as mixed-precision trainers do.
"""

from __future__ import annotations

import difflib

import torch

from archcost.dtypes import Dtype
from archcost.errors import UsageError

STATE_TENSORS_PER_PARAMETER = {"sgd": 0, "sgd-momentum": 1, "adam": 2, "adamw": 2}


def check_optimizer(name: str) -> str:
    """The optimizer's name, or one clear UsageError with close matches."""
    if name in STATE_TENSORS_PER_PARAMETER:
        return name
    close = difflib.get_close_matches(name, list(STATE_TENSORS_PER_PARAMETER), n=2)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    raise UsageError(f"unknown optimizer {name!r}{hint}; choose one of {', '.join(STATE_TENSORS_PER_PARAMETER)}")


def as_dtype(dtype: torch.dtype | str) -> torch.dtype:
    """A torch floating dtype from a torch.dtype or its name ('bfloat16', 'float32', ...)."""
    found = dtype if isinstance(dtype, torch.dtype) else getattr(torch, str(dtype), None)
    if not isinstance(found, torch.dtype) or not found.is_floating_point:
        *others, last = (d.value for d in Dtype)
        raise UsageError(f"unknown floating-point dtype {dtype!r}; use {', '.join(others)} or {last}")
    return found


def optimizer_state_bytes(trainable_numel: int, *, optimizer: str, dtype: torch.dtype,
                          master_dtype: torch.dtype | None = None) -> int:
    """Bytes of the optimizer's state for ``trainable_numel`` trainable parameter elements.

    Without a master dtype the state has the parameters' dtype; with one, the state is in the master dtype and a
    master copy of the weights (same dtype) is added."""
    buffers = STATE_TENSORS_PER_PARAMETER[check_optimizer(optimizer)]
    if master_dtype is None:
        return trainable_numel * buffers * dtype.itemsize
    return trainable_numel * (buffers + 1) * master_dtype.itemsize
