"""A note under a table is said only when it applies: the fused-attention note needs a network that ran attention."""

from __future__ import annotations

import pytest
from torch import nn

from archcost.cli import run

NOTE = "fused attention fast paths were turned off"


def encoder_layer() -> nn.Module:
    return nn.TransformerEncoderLayer(16, 2, 32, batch_first=True)


@pytest.mark.parametrize(("argv", "said"), [
    (["table", "resnet20", "--device", "cpu", "--no-cache"], False),  # convolutions only: nothing fused to turn off
    (["table", "test_notes_apply:encoder_layer", "--input", "10x16", "--device", "cpu", "--no-cache"], True),
    (["table", "test_notes_apply:encoder_layer", "--input", "10x16", "--device", "meta", "--no-cache"], False),
])
def test_the_fast_path_note_is_said_only_for_attention_on_a_real_device(
        capsys: pytest.CaptureFixture[str], argv: list[str], said: bool) -> None:
    assert run(argv) == 0
    out = " ".join(capsys.readouterr().out.split())  # the note may wrap
    assert (NOTE in out) is said


class Stack(nn.Module):
    """Two linear layers held in a ModuleList, which the forward never calls: flop_counter attributes it nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(16, 32), nn.Linear(32, 8)])

    def forward(self, x):  # type: ignore[no-untyped-def]
        for block in self.blocks:
            x = block(x)
        return x


def stack() -> nn.Module:
    return Stack()


def test_torch_backend_shows_a_dash_where_flop_counter_attributes_nothing(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # every column shown
    assert run(["table", "test_notes_apply:stack", "--input", "16", "--backend", "torch", "--device", "cpu",
                "--no-cache"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()
            if line.split()[:1] in (["blocks"], ["0"], ["1"])}
    # The ModuleList: archcost counts its children (16*32 + 32*8 MACs); torch attributes nothing, so no difference.
    assert rows["blocks"][-2:] == ["—", "—"] and f"{16 * 32 + 32 * 8:,}" in rows["blocks"]
    # The Linear layers were called: torch's figure and a zero difference (flop_counter ignores biases, as 'paper').
    assert rows["0"][-2:] == [f"{16 * 32:,}", "0"] and rows["1"][-2:] == [f"{32 * 8:,}", "0"]
