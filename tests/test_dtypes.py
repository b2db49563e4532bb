"""One torch-free dtype enumeration (archcost/dtypes.py) for the command line, the library and bench."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from archcost import dtypes
from archcost.dtypes import INPUT_DTYPES, INTEGER_DTYPES, Dtype, torch_dtype


def test_every_name_is_torchs_own_and_the_float_ones_are_the_model_dtypes() -> None:
    assert [torch_dtype(d).is_floating_point for d in Dtype] == [True] * len(Dtype)
    assert [torch_dtype(n).is_floating_point for n in INTEGER_DTYPES] == [False] * len(INTEGER_DTYPES)
    assert [str(torch_dtype(n)) for n in INPUT_DTYPES] == [f"torch.{n}" for n in INPUT_DTYPES]
    with pytest.raises(ValueError, match="unknown dtype 'complex64'"):
        torch_dtype("complex64")


def test_the_command_line_bench_and_library_share_it() -> None:
    from archcost.analysis import DTYPES
    from archcost.timing import BenchSettings
    from archcost.cli.options import Dtype as CliDtype
    from archcost.inputs import TORCH_DTYPES
    from archcost.shapes import parse_input

    assert CliDtype is Dtype
    assert BenchSettings(dtype="float64").dtype is Dtype.FLOAT64
    assert DTYPES == {d.value: getattr(torch, d.value) for d in Dtype}
    assert list(TORCH_DTYPES) == list(INPUT_DTYPES)
    assert parse_input("128:uint8").dtype == "uint8"


def test_importing_it_imports_no_torch() -> None:
    code = f"import sys, {dtypes.__name__}; assert 'torch' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_bench_dtype_is_a_deprecated_name_for_it() -> None:
    import archcost.timing.settings  # noqa: F401

    with pytest.warns(DeprecationWarning, match="use archcost.dtypes.Dtype") as caught:
        from archcost.timing import BenchDtype
    assert BenchDtype is Dtype and caught[0].filename == __file__  # the warning points at the caller's line
    with pytest.warns(DeprecationWarning):
        assert sys.modules["archcost.timing.settings"].BenchDtype is Dtype
    assert "BenchDtype" not in sys.modules["archcost.timing"].__all__  # a star import does not warn
