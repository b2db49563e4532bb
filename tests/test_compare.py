"""``archcost compare``: totals side by side and block diffs, against hand computations."""

from __future__ import annotations

import json

import pytest

from archcost.cli import run
from archcost.compare import compare


def test_inception_per_branch_by_hand() -> None:
    c = compare(["inception-naive", "inception-bottleneck"])
    assert c.level == "branch"
    macs = {r["block"]: (r["m0"], r["m1"]) for r in c.blocks if r["quantity"] == "MACs"}
    h = 28 * 28
    assert macs["inception.branch2 (3x3 branch)"] == (h * 9 * 256 * 192, h * 256 * 64 + h * 9 * 64 * 192)
    assert macs["inception.branch3 (5x5 branch)"] == (h * 25 * 256 * 96, h * 256 * 64 + h * 25 * 64 * 96)
    assert macs["inception.branch4 (pool branch)"] == (0, h * 256 * 64)
    total = next(r for r in c.totals if r["quantity"] == "MACs")
    assert total["difference"] == 271_351_808 - 854_196_224


@pytest.mark.parametrize(("pair", "level"), [
    (["resnet50-v1.5", "resnext50-32x4d"], "stage"), (["resnet20", "highway-cifar-20"], "block"),
    (["resnet110", "preact-resnet110"], "block"),
])
def test_levels(pair: list[str], level: str) -> None:
    c = compare(pair)
    assert c.level == level
    params = [r for r in c.blocks if r["quantity"] == "params"]
    total = next(r for r in c.totals if r["quantity"] == "params")
    for i in (0, 1):  # blocks at one level partition the network: they sum to the total
        assert sum(r[f"m{i}"] or 0 for r in params) == total[f"m{i}"]


def test_highway_block_is_the_residual_block_plus_its_gate() -> None:
    c = compare(["resnet20", "highway-cifar-20"])
    first = next(r for r in c.blocks if r["block"] == "layer1.0" and r["quantity"] == "params")
    assert first["difference"] == 9 * 16 * 16 + 16


def test_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["compare", "inception-naive", "inception-bottleneck", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == "archcost.compare/1" and document["level"] == "branch"
    assert run(["compare", "inception-naive", "inception-bottleneck", "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header == "section,block,type,quantity,inception-naive,inception-bottleneck,difference,ratio"
    assert run(["compare", "resnet20"]) == 2
    assert run(["compare", "resnet20", "resnet32", "--by", "row"]) == 2
    assert run(["compare", "resnet20", "resnet9000"]) == 2
    err = capsys.readouterr().err
    assert err.count("archcost: error:") == 3
