"""``Analysis.add_columns``: how a prediction adds its columns. One value per row, declared columns only, nothing
half-added; the rows made before show the new columns; a predicting analysis has columns.py's declared columns in
the declared order."""

from __future__ import annotations

import pytest
import torch

import archcost
from archcost.columns import Mode, json_schema, layer_columns
from archcost.errors import UsageError
from synthetic import model


def _analysis() -> archcost.Analysis:
    return archcost.analyze(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()), (4,))


def test_new_columns_reach_rows_made_before() -> None:
    analysis = _analysis()
    assert "predicted_ms" not in analysis.rows[1]  # rows made (and kept) before the columns come
    analysis.add_columns(predicted_ms=[3.0, 2.0, 1.0], bound=["compute", "memory", "overhead"])
    assert [r["predicted_ms"] for r in analysis.rows] == [3.0, 2.0, 1.0]
    assert analysis.layer("1")["bound"] == "overhead"
    assert analysis.to_dict()["layers"][0]["predicted_ms"] == 3.0


@pytest.mark.parametrize("columns, message", [
    ({"predicted_ms": [1.0, 2.0]}, "2 values for 3 layers"),
    ({"predicted_ms": [1.0, 2.0, 3.0, 4.0]}, "4 values for 3 layers"),
    ({"latency": [1.0, 2.0, 3.0]}, "not a declared layer column"),
    ({"macs": [1, 2, 3]}, "already has a 'macs' column"),
])
def test_a_wrong_column_is_refused_and_nothing_is_added(columns: dict, message: str) -> None:
    analysis = _analysis()
    before = {k: list(v) for k, v in analysis.columns.items()}
    with pytest.raises(UsageError, match=message):
        analysis.add_columns(bound=["compute"] * 3, **columns)  # a good column first: it must not stay
    assert analysis.columns == before


def test_a_predicting_analysis_has_the_declared_columns_in_order() -> None:
    analysis = archcost.analyze(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()), (4,),
                                predict=model())
    declared = [c.key for c in layer_columns(Mode.PREDICT)]
    assert list(analysis.columns) == declared
    types = {"integer": int, "number": (int, float), "string": str}
    properties = json_schema()["properties"]
    for row in analysis.to_dict()["layers"]:
        assert list(row) == declared
        for key in declared[declared.index("predicted_ms"):]:
            assert isinstance(row[key], types[properties[key]["type"]]), key
