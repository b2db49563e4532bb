"""resnet18 at batch 2 in train mode: saved_activation_bytes against a real CPU step's saved_tensors_hooks.

The reference is computed here, independently: one real forward with archcost's loss, every storage autograd packs,
counted once. What autograd saves falls in three parts: parameters (excluded: parameter_bytes counts them), the
model's buffers (batch norm's running_mean and running_var, model state that exists whether or not a step runs) and
the step's own tensors, batch norm's save_mean and save_invstd among them. saved_activation_bytes is the last part.
"""

from __future__ import annotations

import torch

import archcost
from saved_reference import saved_storages
from archcost.training.loss import form_loss
from archcost.zoo.resolve import build


def _real_saved(model: torch.nn.Module, x: torch.Tensor) -> dict[str, int]:
    """Bytes of the distinct storages a real CPU step packs, split into buffers and the rest (parameters apart)."""
    return saved_storages(model, lambda: form_loss(model(x)))


def test_resnet18_saved_bytes_are_a_real_steps_including_batch_norm_statistics() -> None:
    torch.manual_seed(0)
    analysis = archcost.analyze("resnet18", batch=2, mode="train")
    predicted = analysis.provenance["memory"]["saved_activation_bytes"]
    model = build("resnet18", device="cpu")
    real = _real_saved(model, torch.randn(2, 3, 224, 224))
    assert predicted == real["step"]
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    channels = sum(m.num_features for m in norms)
    # save_mean and save_invstd (float32, one per channel each) are in the prediction: without them it would fall
    # short of the real step's own tensors by exactly their bytes.
    statistics_bytes = 2 * 4 * channels
    saved_statistics = sum(t.nbytes for t in _batch_norm_statistics(norms))
    assert saved_statistics == statistics_bytes > 0
    # The buffers autograd also holds are the running statistics: the same count of channels. They are model state,
    # counted once in buffer_bytes (with the int64 step counters autograd does not hold), so the peak has them.
    assert real["buffers"] == sum(m.running_mean.nbytes + m.running_var.nbytes for m in norms) == statistics_bytes
    counters = sum(m.num_batches_tracked.nbytes for m in norms)
    memory = analysis.provenance["memory"]
    assert memory["buffer_bytes"] == real["buffers"] + counters == 38_400 + 160
    # Everything autograd keeps for the backward, parameters apart (issue 21's 44,444,500 bytes), is in the peak.
    assert predicted + real["buffers"] == real["step"] + real["buffers"] == 44_444_500


def _batch_norm_statistics(norms: list[torch.nn.BatchNorm2d]) -> list[torch.Tensor]:
    """save_mean and save_invstd of each batch norm in training mode, from torch's own op on a small input."""
    out: list[torch.Tensor] = []
    for m in norms:
        x = torch.randn(2, m.num_features, 2, 2)
        _, mean, invstd = torch.ops.aten.native_batch_norm(x, m.weight, m.bias, None, None, True, 0.1, 1e-5)
        out += [mean, invstd]
    return out
