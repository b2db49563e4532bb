"""What makes a prediction cheap (each distinct op predicted once per call) gives the figures of the plain op-by-op
reading, to the bit: compared with ``==``, not approximately."""

from __future__ import annotations

import pytest

import archcost
from archcost.predict.kinds import COMPUTE_KINDS, MEMORY_KINDS, allocates, classify, work_of
from archcost.predict.model import predict_op, predict_records
from synthetic import model

# Irregular on purpose: no two rows or columns alike, so a wrong row or a wrong axis changes the figure.
GRID = {"channels": [3, 16, 64, 1024], "positions": [49, 784, 12544],
        "values": [[0.11, 0.83, 0.35], [0.27, 0.41, 0.93], [0.72, 0.19, 0.58], [0.44, 0.66, 0.05]]}
CURVE = {"bytes": [1024, 65536, 4194304], "values": [0.3, 0.9, 0.45]}


@pytest.mark.parametrize("arch", ["efficientnet-b0", "resnet18", "googlenet"])
def test_predict_records_equals_predicting_op_by_op(arch: str) -> None:
    profile = model(first_touch_bytes_per_s=3e9, fresh_threshold_bytes=128 * 1024)
    for name in COMPUTE_KINDS:
        profile["kinds"][name]["efficiency"] = GRID
    for name in MEMORY_KINDS:
        profile["kinds"][name]["bandwidth_fraction"] = CURVE
    records = archcost.analyze(arch).records
    assert records
    expected = []
    for r in records:
        kind = classify(r.op, r.shapes, r.terms, 1)
        expected.append((r.module, predict_op(kind, work_of(kind, r.terms), r.bytes_in + r.bytes_out, profile,
                                              r.bytes_out if allocates(r.op, kind) else 0)))
    assert predict_records(records, profile) == expected
