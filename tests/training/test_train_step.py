"""Optimizer ops per element by hand, the first layer's skipped grad-input, the model left as it was, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

import archcost
from archcost.errors import UsageError

# Per element of a steady-state step of torch.optim (foreach off, weight decay 0), under the project's rules:
# sgd: p.add_(g, alpha=-lr) = 1 add; momentum: buf.mul_(m) 1, buf.add_(g) 1, p.add_(buf, alpha=-lr) 1;
# adam(w): m.lerp_(g) 3, v.mul_(b2) 1, v.addcmul_(g, g) 3, v.sqrt() 1, / sqrt(bc2) 1, .add_(eps) 1,
# p.addcdiv_(m, denom) 3 = 13, plus one add per parameter tensor for its step counter (a 0-d tensor).
PER_ELEMENT = {"sgd": (1, 0), "sgd-momentum": (3, 0), "adam": (13, 1), "adamw": (13, 1)}


@pytest.mark.parametrize("optimizer", list(PER_ELEMENT))
def test_optimizer_ops_per_element(optimizer: str) -> None:
    model = torch.nn.Sequential(torch.nn.Linear(7, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3, bias=False))
    elements, tensors = 7 * 5 + 5 + 5 * 3, 3
    per_element, per_tensor = PER_ELEMENT[optimizer]
    analysis = archcost.analyze(model, "7", mode="train", optimizer=optimizer)
    assert analysis.totals["optimizer_ops"] == per_element * elements + per_tensor * tensors
    assert analysis.layer("2")["optimizer_ops"] == per_element * 15 + per_tensor
    state = {"sgd": 0, "sgd-momentum": 1, "adam": 2, "adamw": 2}[optimizer]
    assert analysis.to_dict()["memory"]["optimizer_state_bytes"] == 4 * elements * state


def test_first_layer_skips_grad_input_and_linear_split() -> None:
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, bias=False), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 6 * 6, 10))
    analysis = archcost.analyze(model, (2, 3, 8, 8), mode="train")
    conv, fc = analysis.layer("0"), analysis.layer("3")
    conv_macs = 2 * 6 * 6 * 4 * 3 * 9  # N*H_out*W_out*C_out*C_in*K
    assert conv["macs"] == conv_macs and conv["grad_weight_macs"] == conv_macs
    assert conv["grad_input_macs"] == 0 and conv["input_grad"] == "skipped"
    assert fc["input_grad"] == "computed"
    assert fc["grad_input_macs"] == fc["grad_weight_macs"] == fc["macs"] == 2 * 144 * 10
    t = analysis.totals
    assert t["backward_macs"] == conv_macs + 2 * 2 * 144 * 10
    assert t["backward_forward_ratio"] == t["backward_macs"] / t["forward_macs"]


def test_frozen_part_skips_its_gradients() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(6, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2))
    for p in model[2].parameters():  # a frozen head: no gradient of its own, but it passes one back
        p.requires_grad_(False)
    analysis = archcost.analyze(model, "6", mode="train")
    head, first = analysis.layer("2"), analysis.layer("0")
    assert head["grad_weight_macs"] == 0 and head["optimizer_ops"] == 0 and head["input_grad"] == ""
    assert head["grad_input_macs"] == 12
    assert first["input_grad"] == "skipped" and first["grad_input_macs"] == 0 and first["grad_weight_macs"] == 36
    assert analysis.to_dict()["memory"]["gradient_bytes"] == 4 * (6 * 6 + 6)


def test_model_left_as_it_was() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    archcost.analyze(model, "4", batch=2, mode="train", optimizer="adam")
    assert not model.training and not model[1].training
    assert all(p.grad is None and p.device.type == "cpu" for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not model._forward_hooks and not model[0]._forward_pre_hooks


def test_inference_mode_unchanged() -> None:
    assert archcost.analyze("resnet20").to_dict() == archcost.analyze("resnet20", mode="inference").to_dict()
    assert "memory" not in archcost.analyze("resnet20").to_dict()


def test_bad_inputs() -> None:
    frozen = torch.nn.Linear(3, 2).requires_grad_(False)
    with pytest.raises(UsageError, match="no trainable parameters"):
        archcost.analyze(frozen, "3", mode="train")
    with pytest.raises(UsageError, match="unknown optimizer"):
        archcost.analyze("resnet20", mode="train", optimizer="lbfgs")
    with pytest.raises(UsageError, match="unknown mode"):
        archcost.analyze("resnet20", mode="eval")

    class Integer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = torch.nn.Linear(3, 2)

        def forward(self, x):
            return self.fc(x).argmax(dim=1)

    with pytest.raises(UsageError, match="cannot form a loss"):
        archcost.analyze(Integer(), "3", mode="train")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archcost", *args], capture_output=True, text=True, timeout=120,
                          check=False)


def test_cli_json_and_errors() -> None:
    done = _cli("table", "resnet20", "--mode", "train", "--optimizer", "sgd-momentum", "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert {"forward_macs", "backward_macs", "optimizer_ops"} <= set(document["totals"])
    assert {"parameter_bytes", "gradient_bytes", "optimizer_state_bytes", "saved_activation_bytes",
            "peak_train_bytes"} <= set(document["memory"])
    assert document["totals"]["forward_macs"] == archcost.analyze("resnet20").totals["macs"]
    bad = _cli("table", "resnet20", "--mode", "train", "--optimizer", "lbfgs")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert len([line for line in bad.stderr.splitlines() if line.strip()]) <= 3
