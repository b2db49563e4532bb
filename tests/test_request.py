"""One request object (archcost/request.py): inputs normalised once whatever their form, one cache key from that
form, and the network looked up once per ``archcost table`` call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from archcost.cli import run
from archcost.errors import ArchcostError
from archcost.request import Request
from archcost.shapes import InputSpec


def _key(inputs: object, **options: object) -> str | None:
    request = dict(batch=None, convention="paper", dtype="float32", config={})
    request.update(options)
    return Request.of("resnet20", inputs, **request).cache_key()  # type: ignore[arg-type]


def test_one_shape_in_every_form_is_one_request_and_one_key() -> None:
    forms = ["3x32x32", (3, 32, 32), [3, 32, 32], ["3x32x32"], ("1x3x32x32",), [InputSpec((3, 32, 32))]]
    keys = {_key(form) for form in forms}
    assert len(keys) == 1 and None not in keys
    assert {Request.of("resnet20", f, batch=None, convention="paper", dtype="float32").inputs[0].shape()  # type: ignore[index]
            for f in forms} == {(1, 3, 32, 32)}


def test_what_changes_the_figures_changes_the_key() -> None:
    base = _key("3x32x32")
    assert _key("3x64x64") != base
    assert _key("3x32x32", batch=2) != base
    assert _key("3x32x32", convention="full") != base
    assert _key("3x32x32", dtype="float16") != base
    assert _key("3x32x32", config={"survival_last": 0.5}) != base
    assert _key("3x32x32:float16") != base
    assert _key(None) != base


def test_no_key_where_the_result_is_not_a_function_of_the_request() -> None:
    assert _key("3x32x32", device="cpu") is None
    assert Request.of("tests.testmodels:nothing", "3x32x32", batch=None, convention="paper",
                      dtype="float32").cache_key() is None


def test_a_bad_input_or_batch_or_builder_argument_is_one_error_before_building() -> None:
    with pytest.raises(ArchcostError, match="batch 2 but batch says 4"):  # the library names its argument
        Request.of("resnet20", "2x3x32x32", batch=4, convention="paper", dtype="float32")
    with pytest.raises(ArchcostError, match="does not take 'width'"):
        Request.of("resnet20", None, batch=None, convention="paper", dtype="float32", config={"width": 2})


def test_archcost_table_looks_the_name_up_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from archcost.zoo import registry

    monkeypatch.setenv("ARCHCOST_CACHE_DIR", str(tmp_path))
    looked_up: list[str] = []
    real = registry.get

    def counting(name: str) -> registry.Entry:
        looked_up.append(name)
        return real(name)

    monkeypatch.setattr(registry, "get", counting)
    assert run(["table", "resnet20", "--set", "num_classes=7", "--format", "json"]) == 0
    assert looked_up == ["resnet20"]
    assert json.loads(capsys.readouterr().out)["totals"]["params"] == 269722 - 3 * 65  # fc: 64x10+10 -> 64x7+7
