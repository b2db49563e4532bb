"""Training memory by hand formula: parameters, gradients, optimizer state per optimizer and dtype; checkpointing;
the largest-batch search against a brute-force scan; bad inputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from archcost.errors import UsageError
from archcost.training.memory import training_memory
from archcost.training.memory_batch import largest_batch, parse_bytes

BUFFERS = {"sgd": 0, "sgd-momentum": 1, "adam": 2, "adamw": 2}  # torch.optim's state tensors per parameter


def _mlp() -> nn.Sequential:
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
    model[0].requires_grad_(False)  # a frozen first layer: parameters, but no gradient and no optimizer state
    return model


@pytest.mark.parametrize("optimizer", list(BUFFERS))
@pytest.mark.parametrize(("dtype", "master", "size"), [("float32", None, 4), ("bfloat16", None, 2),
                                                       ("bfloat16", "float32", 2), ("float16", "float32", 2)])
def test_parameter_gradient_and_state_bytes_by_hand(optimizer: str, dtype: str, master: str | None,
                                                    size: int) -> None:
    total = 8 * 16 + 16 + 16 * 16 + 16 + 16 * 4 + 4
    trainable = total - (8 * 16 + 16)
    m = training_memory(_mlp(), torch.empty(3, 8), optimizer=optimizer, dtype=dtype, master_dtype=master)
    assert m.parameter_bytes == total * size
    assert m.gradient_bytes == trainable * size
    expected_state = trainable * BUFFERS[optimizer] * size if master is None else trainable * (BUFFERS[optimizer] + 1) * 4
    assert m.optimizer_state_bytes == expected_state
    assert m.buffer_bytes == 0  # an MLP has no buffer
    assert m.peak_train_bytes == (m.parameter_bytes + m.gradient_bytes + m.optimizer_state_bytes
                                  + m.saved_activation_bytes + m.backward_transient_bytes)


@pytest.mark.parametrize(("dtype", "size"), [("float32", 4), ("bfloat16", 2)])
def test_buffer_bytes_by_hand_and_in_the_peak(dtype: str, size: int) -> None:
    # BatchNorm1d(16): running_mean and running_var (floating: the step's dtype) and num_batches_tracked (int64,
    # kept as it is). Model state the step needs, outside parameters and saved activations: the peak holds it once.
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.BatchNorm1d(16))
    m = training_memory(model, torch.empty(3, 8), optimizer="sgd", dtype=dtype)
    assert m.buffer_bytes == 2 * 16 * size + 8
    assert m.peak_train_bytes == (m.parameter_bytes + m.buffer_bytes + m.gradient_bytes + m.optimizer_state_bytes
                                  + m.saved_activation_bytes + m.backward_transient_bytes)


def test_saved_bytes_of_a_small_mlp_by_hand() -> None:
    # Linear 0 is frozen and its input needs no grad: it saves nothing. ReLU saves its output [3, 16]; Linear 2
    # saves its input (that same output, once); ReLU 3 saves [3, 16]; Linear 4 saves its input (the same);
    # cross-entropy saves log_softmax's output [3, 4], the int64 target [3] and nll_loss's scalar total_weight.
    m = training_memory(_mlp(), torch.empty(3, 8), optimizer="sgd")
    assert m.saved_activation_bytes == 3 * 16 * 4 * 2 + 3 * 4 * 4 + 3 * 8 + 4
    assert sum(m.saved_by_layer.values()) == m.saved_activation_bytes


def test_checkpointing_saves_bytes_and_recomputes_the_block_forward() -> None:
    block = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU())
    model, x = nn.Sequential(nn.Linear(8, 16), block, nn.Linear(16, 4)), torch.empty(5, 8)
    plain = training_memory(model, x, optimizer="adam")
    kept = training_memory(model, x, optimizer="adam", checkpoint=("1",))
    # Inside the block autograd saves the first Linear's input (which checkpointing keeps too, as the block's
    # input), the first ReLU's output (= the second Linear's input: the one tensor checkpointing frees) and the
    # last ReLU's output (= the outer Linear's input, saved either way).
    assert plain.saved_activation_bytes - kept.saved_activation_bytes == 5 * 16 * 4
    assert kept.recomputed_macs == {"1": 2 * 5 * 16 * 16}  # the block's two Linear layers run again
    assert kept.checkpoint_kept_bytes == {"1": 5 * 16 * 4}  # the block's input, kept for the recompute
    assert "forward" not in vars(block)  # the checkpoint wrapper is gone from the model
    assert "forward" not in vars(block)


def test_checkpointing_a_single_op_saves_nothing() -> None:
    # A lone Linear keeps its input either way, and its output is saved by the next layer: nothing to gain.
    model, x = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)), torch.empty(5, 8)
    plain = training_memory(model, x, optimizer="sgd")
    kept = training_memory(model, x, optimizer="sgd", checkpoint=("2",))
    assert kept.saved_activation_bytes == plain.saved_activation_bytes
    assert kept.recomputed_macs == {"2": 5 * 16 * 4}


def test_the_model_is_left_as_it_was_also_when_forward_raises() -> None:
    class Broken(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            raise RuntimeError("boom")

    model = Broken().eval()
    hooks_before = (len(torch.nn.modules.module._global_forward_pre_hooks),
                    len(torch.nn.modules.module._global_forward_hooks))
    with pytest.raises(RuntimeError, match="boom"):
        training_memory(model, torch.empty(2, 4), optimizer="sgd", checkpoint=("layer",))
    assert not model.training and "forward" not in vars(model.layer)
    assert (len(torch.nn.modules.module._global_forward_pre_hooks),
            len(torch.nn.modules.module._global_forward_hooks)) == hooks_before
    assert model.layer.weight.device.type == "cpu" and model.layer.weight.grad is None


def test_largest_batch_matches_a_brute_force_scan() -> None:
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))
    peaks = {b: training_memory(model, torch.empty(b, 8), optimizer="adam").peak_train_bytes for b in range(1, 129)}
    for limit in (peaks[1] - 1, peaks[1], peaks[7] + 3, peaks[23], peaks[64] - 1, peaks[64], peaks[100]):
        brute = max((b for b, p in peaks.items() if p <= limit), default=0)
        assert largest_batch(lambda b: peaks[b], limit) == brute


@pytest.mark.parametrize(("text", "expected"), [("80GB", 80 * 10**9), ("24GiB", 24 * 2**30), ("16000MB", 16 * 10**9),
                                                ("1.5 TB", 15 * 10**11), ("512", 512)])
def test_device_memory_sizes(text: str, expected: int) -> None:
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["", "GB", "-1GB", "0GB", "80XB", "eighty"])
def test_bad_device_memory_is_one_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="device memory"):
        parse_bytes(text)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"optimizer": "adan"}, "unknown optimizer 'adan' .*adam"),
    ({"optimizer": "sgd", "dtype": "int8"}, "dtype"),
    ({"optimizer": "sgd", "checkpoint": ("nope",)}, "cannot checkpoint 'nope'"),
])
def test_bad_arguments_are_usage_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        training_memory(_mlp(), torch.empty(2, 8), **kwargs)


def test_a_model_without_trainable_parameters_is_refused() -> None:
    with pytest.raises(UsageError, match="no trainable parameter"):
        training_memory(_mlp().requires_grad_(False), torch.empty(2, 8), optimizer="sgd")


def test_tied_weights_count_once() -> None:
    model = nn.Sequential(nn.Embedding(10, 6), nn.Linear(6, 10, bias=False))
    model[1].weight = model[0].weight  # tied input and output embeddings, as language models do
    m = training_memory(model, torch.zeros(2, 3, dtype=torch.int64), optimizer="adam")
    assert m.parameter_bytes == m.gradient_bytes == 10 * 6 * 4
    assert m.optimizer_state_bytes == 2 * 10 * 6 * 4
