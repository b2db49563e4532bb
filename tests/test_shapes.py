"""Input text as typed: the one per-sample/exact rule, dtype suffixes and keyword names. Torch-free."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from archcost.errors import ShapeError
from archcost.shapes import InputSpec, parse_input, parse_shape


@pytest.mark.parametrize(("text", "batch", "shape"), [
    ("3x224x224", None, (1, 3, 224, 224)),  # per sample: the batch is prepended
    ("3x224x224", 8, (8, 3, 224, 224)),
    ("16x100", None, (1, 16, 100)),  # a Conv1d / sequence input
    ("16x100", 4, (4, 16, 100)),
    ("128", None, (1, 128)),
    ("8x3x224x224", None, (8, 3, 224, 224)),  # four or more dimensions: the exact shape
    ("8x3x224x224", 8, (8, 3, 224, 224)),  # a --batch that agrees is fine
    ("1x3x16x112x112", None, (1, 3, 16, 112, 112)),  # a video network's input
    ("3×32×32", None, (1, 3, 32, 32)),
    (" 3 x 8 x 8 ", 2, (2, 3, 8, 8)),
])
def test_the_one_rule(text: str, batch: int | None, shape: tuple[int, ...]) -> None:
    assert parse_shape(text, batch=batch) == shape
    assert parse_input(text).shape(batch) == shape


@pytest.mark.parametrize(("text", "spec", "shape"), [
    ("128:int64", InputSpec((128,), "int64"), (1, 128)),
    ("1x128:int64", InputSpec((1, 128), "int64"), (1, 1, 128)),  # two dimensions are still per sample
    ("3x224x224:float16", InputSpec((3, 224, 224), "float16"), (1, 3, 224, 224)),
    ("4:BOOL", InputSpec((4,), "bool"), (1, 4)),
    ("attention_mask=128:int64", InputSpec((128,), "int64", "attention_mask"), (1, 128)),
    ("image2 = 3x8x8", InputSpec((3, 8, 8), None, "image2"), (1, 3, 8, 8)),
])
def test_dtype_suffix_and_keyword_name(text: str, spec: InputSpec, shape: tuple[int, ...]) -> None:
    assert parse_input(text) == spec
    assert parse_input(text).shape() == shape


@pytest.mark.parametrize(("text", "message"), [
    ("", "malformed input shape ''"),
    ("abc", "malformed input shape 'abc'"),
    ("3x224x", "malformed input shape '3x224x'"),
    ("3x0x8", "every dimension must be at least 1"),
    ("-3x8x8", "malformed input shape '-3x8x8'"),
    ("128:int65", "unknown input dtype 'int65'"),
    ("128:", "unknown input dtype ''"),
    ("1mask=128", "'1mask' is not a keyword argument name"),
    ("=128", "'' is not a keyword argument name"),
])
def test_malformed_inputs_are_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(ShapeError, match=re.escape(message)):
        parse_input(text)


def test_a_batch_that_contradicts_an_exact_shape_is_an_error() -> None:
    with pytest.raises(ShapeError, match="has batch 8 but --batch says 4"):
        parse_shape("8x3x224x224", batch=4)
    with pytest.raises(ShapeError, match="has batch 1 but --batch says 2"):
        parse_shape("1x3x16x112x112", batch=2)
    with pytest.raises(ShapeError, match="batch size must be at least 1"):
        parse_shape("3x8x8", batch=0)


def test_parsing_does_not_import_torch() -> None:
    probe = ("import sys; from archcost.shapes import parse_input; parse_input('attention_mask=128:int64'); "
             "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
