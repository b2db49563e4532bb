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
