"""Batch lists and benchmark settings: validated before torch is imported."""

from __future__ import annotations

import pytest

from archcost.timing.settings import BenchDevice, BenchSettings, parse_batches
from archcost.cli.errors import message as cli_message
from archcost.dtypes import Dtype
from archcost.errors import UsageError


@pytest.mark.parametrize("text, expected", [("1", (1,)), ("1,8,32", (1, 8, 32)), (" 4 , 2 ", (4, 2))])
def test_parse_batches(text: str, expected: tuple[int, ...]) -> None:
    assert parse_batches(text) == expected


@pytest.mark.parametrize("text", ["1,,x", "", "1,", "x", "0", "1,-2", "2.5", "8,8"])
def test_malformed_batches(text: str) -> None:
    with pytest.raises(UsageError, match="malformed batches") as raised:
        parse_batches(text)
    assert cli_message(raised.value).startswith(f"malformed --batch {text!r}: ")  # the flag on the command line


def test_settings_round_trip_through_json_types() -> None:
    settings = BenchSettings(device="cpu", dtype="bfloat16", channels_last=True, threads=1, min_time_s=0.5)
    data = settings.to_dict()
    assert data["device"] == "cpu" and data["dtype"] == "bfloat16"
    again = BenchSettings.from_dict(data)
    assert again == settings
    assert again.device is BenchDevice.CPU and again.dtype is Dtype.BFLOAT16


def test_warmup_budget_default() -> None:
    assert BenchSettings(min_time_s=0.1).warmup_budget_s == 1.0
    assert BenchSettings(min_time_s=3.0).warmup_budget_s == 3.0
    assert BenchSettings(max_warmup_s=0.2).warmup_budget_s == 0.2


@pytest.mark.parametrize("bad", [{"warmup": -1}, {"min_time_s": -1.0}, {"min_runs": 0}, {"threads": 0},
                                 {"max_warmup_s": -0.5}, {"window": 0}])
def test_bad_settings(bad: dict) -> None:
    with pytest.raises(UsageError):
        BenchSettings(**bad)


def test_unknown_dtype() -> None:
    with pytest.raises(ValueError):
        BenchSettings(dtype="int8")


def test_compiled_models_get_longer_to_settle() -> None:
    assert BenchSettings(compile=True).warmup_budget_s == 30.0
    assert BenchSettings(compile=True, max_warmup_s=2.0).warmup_budget_s == 2.0
