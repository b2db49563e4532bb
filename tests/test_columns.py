"""The declared column table (archcost/columns.py) and the one pipeline: every column an analysis makes is declared,
in the declared order, with the type its unit says; own columns sum to their totals; figures of a small network
against hand formulas; what the build learned travels in the Prepared (train mode keeps provenance.build)."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

import archcost
from archcost.columns import LAYER_COLUMNS, Mode, Scope, counted, json_schema, layer_columns
from archcost.counting.opclass import Device
from archcost.inputs import from_user
from archcost.prepare import prepare

_PYTHON_TYPES = {"integer": int, "number": (int, float), "string": str}


def _two_linears() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))


@pytest.fixture(scope="module")
def inference() -> archcost.Analysis:
    return archcost.analyze(_two_linears(), (4,))


@pytest.fixture(scope="module")
def train() -> archcost.Analysis:
    return archcost.analyze(_two_linears(), (4,), mode="train")


def _matches(value: Any, declared: Any) -> bool:
    if isinstance(declared, list):  # a shape: a list of ints, or null
        return value is None or (isinstance(value, list) and all(isinstance(v, int) for v in value))
    return isinstance(value, _PYTHON_TYPES[declared]) and not isinstance(value, bool)


@pytest.mark.parametrize("mode", ["inference", "train"])
def test_every_layer_row_has_the_declared_columns_in_order_and_types(mode: str, inference: archcost.Analysis,
                                                                     train: archcost.Analysis) -> None:
    analysis = train if mode == "train" else inference
    declared = [c.key for c in layer_columns(Mode(mode))]
    assert list(analysis.columns) == declared
    schema = json_schema()
    document = analysis.to_dict()
    for row in document["layers"]:
        assert list(row) == declared
        for key, value in row.items():
            assert _matches(value, schema["properties"][key]["type"]), (key, value)
    assert set(schema["required"]) == {c.key for c in LAYER_COLUMNS if c.mode is Mode.INFERENCE}


def test_two_linears_against_hand_formulas(inference: archcost.Analysis, train: archcost.Analysis) -> None:
    # Linear(4, 3): 12 weights + 3 biases, 12 MACs per sample; Linear(3, 2): 6 + 2, 6 MACs.
    assert inference.columns["own_params"] == [0, 15, 8]
    assert inference.columns["params"] == [23, 15, 8]
    assert inference.columns["macs"] == [18, 12, 6]
    # Backward: grad-weight MACs equal the forward's; the first layer's input needs no gradient.
    assert train.columns["grad_weight_macs"] == [18, 12, 6]
    assert train.columns["own_grad_input_macs"] == [0, 0, 6]
    assert train.columns["input_grad"] == ["", "skipped", "computed"]
    assert train.totals["training_step_macs"] == 18 + 6 + 18


@pytest.mark.parametrize("mode", ["inference", "train"])
def test_own_columns_sum_to_totals_and_counted_roots_are_totals(mode: str, inference: archcost.Analysis,
                                                                train: archcost.Analysis) -> None:
    analysis = train if mode == "train" else inference
    totals: dict[str, Any] = dict(analysis.totals)
    for spec in layer_columns(Mode(mode)):
        column = analysis.columns[spec.key]
        if spec.scope is Scope.OWN:
            assert sum(column) == totals[spec.key.removeprefix("own_")], spec.key
        if spec.counted and spec.key in totals:
            assert column[0] == totals[spec.key], spec.key


def test_counted_columns_are_the_arithmetic_classes_and_parameters() -> None:
    from archcost.counting.opclass import ARITHMETIC_CLASSES
    from archcost.counting.params import COLUMNS

    inference = counted(Mode.INFERENCE)
    assert {c.value for c in ARITHMETIC_CLASSES} | set(COLUMNS) | {"ops", "memory_bytes"} == set(inference)
    assert counted(Mode.TRAIN) == ("grad_input_macs", "grad_weight_macs", "backward_other_ops", "optimizer_ops")


def test_prepare_says_what_the_build_learned() -> None:
    prepared = prepare("resnet20", Device.META, "float32", {"survival_last": 0.5}, None, None)
    assert prepared.learned.owned and prepared.learned.provenance["build"] == "meta"
    # Linear decay over the 9 blocks (arXiv:1603.09382 eq. 4): p_l = 1 - l / 9 * 0.5.
    assert [p for _, p in prepared.learned.stochastic] == pytest.approx([1 - l / 9 * 0.5 for l in range(1, 10)])
    assert all(prepared.names[i].endswith(".residual") for i, _ in prepared.learned.stochastic)
    model = _two_linears()
    given = prepare(model, Device.META, "float32", {}, from_user((4,), batch=None, dtype="float32"), None)
    assert not given.learned.owned and given.learned.stochastic == () and given.model is model


def test_train_mode_counts_every_stochastic_block_and_keeps_the_build() -> None:
    plain = archcost.analyze("resnet20", mode="train")
    stochastic = archcost.analyze("resnet20", mode="train", survival_last=0.5)
    # On meta every branch runs: the step is the plain network's; the expectation weighs each branch by its p.
    assert stochastic.totals["training_step_macs"] == plain.totals["training_step_macs"]
    assert stochastic.totals["expected_training_step_macs"] < plain.totals["training_step_macs"]
    assert stochastic.provenance["build"] == plain.provenance["build"] == "meta"
    assert stochastic.provenance["config"] == {"survival_last": 0.5}
    model = archcost.build("resnet20", survival_last=0.5)
    before = [m.__dict__.get("survival_probability") for m in model.modules()]
    archcost.analyze(model, (3, 32, 32), mode="train")
    assert [m.__dict__.get("survival_probability") for m in model.modules()] == before
    assert torch.is_grad_enabled()
