"""benchmarks/unseen_networks.py: every network is counted on meta and predicted, and its MACs agree with an
independent count (torch's FlopCounterMode on a real CPU forward, or the hand formula where FlopCounterMode cannot
see the kernel); benchmarks/predict.py reaches them by name. No test here times anything."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from predict import _networks, _target  # noqa: E402
from unseen_networks import UNSEEN  # noqa: E402

import archcost  # noqa: E402
from synthetic import document  # noqa: E402

# Fully convolutional networks are checked at a small input (cheap on CPU); the rest need their own input size.
SMALL_INPUT = {"unseen:unet-small": (3, 32, 32), "unseen:unet-medium": (1, 32, 32), "unseen:wavenet": (1, 256),
               "unseen:resnet1d": (12, 500), "unseen:tcn": (8, 200)}
# nn.TransformerEncoder's attention runs as CPU's fused scaled-dot-product kernel, which FlopCounterMode does not
# count (it saw 82 M fewer MACs than its four layers' QK^T and AV products): checked by hand below instead.
HAND_ONLY = {"unseen:transformer-torch"}


def _flop_counter_macs(model: torch.nn.Module, shape: tuple[int, ...]) -> int:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.randn(1, *shape))
    return counter.get_total_flops() // 2


def test_at_least_ten_networks_of_the_kinds_users_bring() -> None:
    assert len(UNSEEN) >= 10 and all(name.startswith("unseen:") for name in UNSEEN)
    kinds = {type(m).__name__ for m in (build()[0] for build in UNSEEN.values()) for m in m.modules()}
    assert {"ConvTranspose2d", "Upsample", "Conv1d", "BatchNorm1d", "TransformerEncoder", "Hardswish",
            "LayerNorm"} <= kinds


@pytest.mark.parametrize("name", sorted(set(UNSEEN) - HAND_ONLY))
def test_macs_match_flop_counter_on_cpu(name: str) -> None:
    model, native = UNSEEN[name]()
    shape = SMALL_INPUT.get(name, native)
    assert archcost.analyze(model, shape).totals["macs"] == _flop_counter_macs(model, shape) > 0


def test_transformer_encoder_macs_by_hand() -> None:
    model, (tokens, features) = UNSEEN["unseen:transformer-torch"]()
    layer = model.encoder.layers[0]
    dim, hidden, layers = layer.linear1.in_features, layer.linear1.out_features, len(model.encoder.layers)
    # Per layer: Q, K, V and output projections, the two feed-forward linears, QK^T and AV over all heads.
    per_layer = 4 * tokens * dim * dim + 2 * tokens * dim * hidden + 2 * tokens * tokens * dim
    expected = layers * per_layer + tokens * features * dim + dim * model.head.out_features
    assert archcost.analyze(model, (tokens, features)).totals["macs"] == expected


@pytest.mark.parametrize("name", sorted(UNSEEN))
def test_every_network_is_predicted_on_meta(name: str) -> None:
    model, shape = UNSEEN[name]()
    analysis = archcost.analyze(model, shape, predict=document())
    assert analysis.device == "meta" and not analysis.uncounted_ops
    assert analysis.totals["predicted_ms"] > 0 and analysis.totals["predicted_bound"] in ("compute", "memory",
                                                                                          "overhead")


def test_predict_benchmark_reaches_them_by_name() -> None:
    class Args:
        networks = None
        set = "unseen"
        quick = False

    assert _networks(Args()) == list(UNSEEN)  # type: ignore[arg-type]
    model, shape = _target("unseen:resnet1d")
    assert isinstance(model, torch.nn.Module) and shape == "12x5000"
    assert _target("resnet20") == ("resnet20", None)  # registry names go through unchanged
