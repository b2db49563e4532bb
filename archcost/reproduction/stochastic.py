"""``stochastic-depth``: Huang et al., arXiv:1603.09382: with survival probabilities decaying linearly from 1 to
p_L = 0.5 over the 54 residual blocks of the 110-layer CIFAR ResNet, the expected number of blocks in training and the
expected training-cost saving, computed from per-block MACs of a whole training step (forward and backward of the
surviving blocks, ``archcost.analyze(mode="train")``), not from a block count nor from the forward alone."""

from __future__ import annotations

from typing import Any

from archcost.reproduction import models
from archcost.reproduction.core import Check, Reproduction, judge, sources
from archcost.reproduction.explain import Candidate
from archcost.reproduction.figures import load

TARGET = "stochastic-depth"
NETWORK = "resnet110-stochastic"


def _survival_probabilities() -> list[float]:
    from archcost.zoo.resolve import build

    model = build(NETWORK)
    return [float(m.survival_probability) for m in model.modules()
            if getattr(m, "survival_probability", None) is not None]


def _training_step_totals() -> dict[str, Any]:
    from archcost.analysis import analyze

    return dict(analyze(NETWORK, mode="train", optimizer="sgd").totals)


def reproduce() -> Reproduction:
    t = models.analysis(NETWORK).totals
    step = _training_step_totals()
    probabilities = _survival_probabilities()
    expected_blocks = sum(probabilities)
    saving = 100 * (1 - step["expected_training_step_macs"] / step["training_step_macs"])
    forward_saving = 100 * (1 - t["expected_training_macs"] / t["macs"])
    dropped_macs = t["macs"] - t["expected_training_macs"]
    blocks_saving = 100 * (1 - expected_blocks / len(probabilities))
    rows, claims = [], []
    for p in load(TARGET):
        if p.quantity == "blocks":
            rows += judge([Check(p, expected_blocks,
                                 note=f"sum of the {len(probabilities)} survival probabilities p_l = 1 - l/L (1 - p_L)")])
        else:
            claims += judge([Check(p, saving, alternatives=[
                Candidate("counting residual blocks instead of MACs", blocks_saving),
                Candidate("the forward pass alone", forward_saving)],
                note=f"expected training-step MACs (forward + backward, batch 1) "
                     f"{step['expected_training_step_macs']:,.0f} of {step['training_step_macs']:,} "
                     f"(stem, shortcuts and classifier always run; the stem's grad-input is never computed)")]
            )
    rows += judge([
        Check(None, t["macs"], row="ResNet-110 inference (every block runs)", quantity="MACs", unit="MACs"),
        Check(None, round(t["expected_training_macs"]), row="ResNet-110 expected training forward", quantity="MACs",
              unit="MACs"),
        Check(None, round(dropped_macs), row="expected MACs skipped per forward", quantity="MACs", unit="MACs"),
        Check(None, step["training_step_macs"], row="ResNet-110 training step, every block (forward + backward)",
              quantity="MACs", unit="MACs"),
        Check(None, round(step["expected_training_step_macs"]), row="ResNet-110 expected training step "
              "(surviving blocks' forward + backward)", quantity="MACs", unit="MACs"),
    ])
    return Reproduction(TARGET, "Stochastic depth: the training-cost saving of linear decay to p_L = 0.5", rows,
                        claims, sources(load(TARGET)))
