"""The CLI's wording of a library error: each option the error names (errors.Option) written as its flag.

The library's messages name options by their library name (``device``, ``input_shape``, ``overrides``); a user of
the command line reads the flag they typed, so this is the one table from library names to flags.
"""

from __future__ import annotations

from archcost.errors import ArchcostError, Option

# Library names whose flag is not simply "--" + the name with "-" for "_".
_FLAGS = {"input_shape": "--input", "overrides": "--set", "batches": "--batch", "min_time_s": "--min-time",
          "max_warmup_s": "--max-warmup"}


def flag(option: Option) -> str:
    """``Option("device", "cpu")`` -> ``--device cpu``; ``Option("device")`` -> ``--device``."""
    name = _FLAGS.get(option.name, "--" + option.name.replace("_", "-"))
    return name if option.value is None else f"{name} {option.value}"


def message(error: ArchcostError) -> str:
    """The error's message as the command line words it."""
    return error.worded(flag)
