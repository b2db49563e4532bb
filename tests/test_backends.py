"""Cross-checks: archcost's conventions agree exactly with torch.utils.flop_counter and with fvcore."""

from __future__ import annotations

import pytest

import archcost
from archcost.errors import UsageError

# A ResNet-style network (projection shortcuts, BN, global pooling) and an Inception-style one.
NETWORKS = [("testmodels:tiny_resnet", "3x32x32"), ("googlenet-fmnist", None), ("inception-bottleneck", "256x8x8")]


@pytest.mark.parametrize(("name", "shape"), NETWORKS)
def test_paper_convention_equals_torch_flop_counter(name: str, shape: str | None) -> None:
    a = archcost.analyze(name, shape, backend="torch")
    check = a.cross_check
    assert check["compared_with_convention"] == "paper"
    assert check["total"] == a.totals["macs"] > 0
    assert check["difference"] == 0
    assert all(check["layers"][r["name"]] == r["macs"] for r in a.rows)


@pytest.mark.parametrize(("name", "shape"), NETWORKS)
def test_fvcore_convention_equals_fvcore(name: str, shape: str | None) -> None:
    pytest.importorskip("fvcore")
    a = archcost.analyze(name, shape, device="cpu", convention="fvcore", backend="fvcore")
    check = a.cross_check
    assert check["total"] == a.totals["ops"] >= a.totals["macs"] > 0
    if name != "inception-bottleneck":  # the others have norm layers and global pooling, which fvcore counts
        assert a.totals["ops"] > a.totals["macs"]
    assert check["difference"] == 0


def test_fvcore_refuses_meta() -> None:
    with pytest.raises(UsageError, match="cannot run on meta"):
        archcost.analyze("googlenet-fmnist", backend="fvcore")
