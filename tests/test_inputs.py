"""Inputs of any kind through the API and the CLI: any rank, dtypes, several positional and keyword inputs, the
native example shapes, and errors that say what the first layer expected."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import archcost
from archcost.cli import run
from archcost.errors import InputMismatchError, ShapeError, UsageError
from archcost.inputs import from_user
from archcost.zoo.resolve import Resolved


class TwoImages(nn.Module):
    """RAFT-like: two positional images and an optional keyword mask."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, image1: torch.Tensor, image2: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        out = self.encoder(image1) * self.encoder(image2)
        return out if mask is None else out * mask


class Tokens(nn.Module):
    def __init__(self, vocabulary: int = 50, width: int = 16, classes: int = 3) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocabulary, width)
        self.head = nn.Linear(width, classes)

    def forward(self, ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self.embed(ids)
        if attention_mask is not None:
            x = x * attention_mask.unsqueeze(-1)
        return self.head(x)


def two_images() -> nn.Module:
    return TwoImages()


def tokens() -> nn.Module:
    return Tokens()


def video_net() -> nn.Module:
    return nn.Sequential(nn.Conv3d(3, 8, 3, padding=1, bias=False), nn.BatchNorm3d(8), nn.ReLU())


def conv1d_net() -> nn.Module:
    return nn.Sequential(nn.Conv1d(16, 8, 3, bias=False), nn.ReLU())


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("dims", [(128,), (16, 100), (3, 32, 32), (2, 3, 32, 32), (1, 3, 4, 8, 8)])
@pytest.mark.parametrize("batch", [None, 1, 2])
def test_a_string_and_a_tuple_follow_one_rule(dims: tuple[int, ...], batch: int | None) -> None:
    text = "x".join(map(str, dims))
    if len(dims) >= 4 and batch not in (None, dims[0]):
        for given in (text, dims):
            with pytest.raises(ShapeError, match="but batch says"):
                from_user(given, batch=batch, dtype="float32")
        return
    from_text = from_user(text, batch=batch, dtype="float32")[0].shape
    assert from_text == from_user(dims, batch=batch, dtype="float32")[0].shape
    assert from_text == from_user(list(dims), batch=batch, dtype="float32")[0].shape
    assert from_text == (dims if len(dims) >= 4 else (batch or 1, *dims))


def test_a_conv1d_takes_a_per_sample_string_tuple_or_an_exact_tensor() -> None:
    with torch.device("meta"):
        layer = nn.Conv1d(16, 8, 3, bias=False)
    macs = 3 * 16 * 8 * 98  # K * C_in * C_out * L_out, one sample
    for given in ("16x100", (16, 100), torch.empty(1, 16, 100, device="meta")):
        a = archcost.analyze(layer, given)
        assert a.input_shape == (1, 16, 100) and a.totals["macs"] == macs
    assert archcost.analyze(layer, (16, 100), batch=4).totals["macs"] == 4 * macs
    # A tensor is exact: a 2-d one is an unbatched sample for a Conv1d.
    unbatched = archcost.analyze(layer, torch.empty(16, 100, device="meta"))
    assert unbatched.input_shape == (16, 100) and unbatched.totals["macs"] == macs
    with pytest.raises(ShapeError, match="has batch 1 but batch= says 2"):
        archcost.analyze(layer, torch.empty(1, 16, 100), batch=2)


def test_integer_token_inputs_on_meta_and_cpu() -> None:
    for device in ("meta", "cpu"):
        with torch.device(device):
            model = Tokens()
        a = archcost.analyze(model, "128:int64", device=device)
        assert a.input_shape == (1, 128)
        assert a.provenance["inputs"] == [{"shape": [1, 128], "dtype": "int64", "name": None}]
        assert a.totals["macs"] == 128 * 16 * 3  # the head: tokens x width x classes
        assert a.totals["params"] == 50 * 16 + 16 * 3 + 3


def test_positional_and_keyword_inputs() -> None:
    with torch.device("meta"):
        model = TwoImages()
    conv = 9 * 3 * 4 * 8 * 8  # one 3x3 conv on an 8x8 image, 3 -> 4 channels
    a = archcost.analyze(model, ["3x8x8", (3, 8, 8)])
    assert a.input_shape == (1, 3, 8, 8) and a.totals["macs"] == 2 * conv
    assert a.rows[0]["input_shape"] == (1, 3, 8, 8)  # the root's input: the first tensor
    mask = archcost.analyze(model, ["3x8x8", "3x8x8", "mask=4x8x8"], batch=2, convention="full")
    assert [i["name"] for i in mask.provenance["inputs"]] == [None, None, "mask"]
    assert mask.provenance["inputs"][2]["shape"] == [2, 4, 8, 8]
    assert mask.totals["muls"] == 2 * (2 * 4 * 8 * 8)  # image product and mask product
    assert mask.totals["macs"] == 2 * 2 * conv
    as_dict = archcost.analyze(Tokens().to("meta"), {"ids": "128:int64", "attention_mask": "128"})
    assert as_dict.provenance["inputs"] == [{"shape": [1, 128], "dtype": "int64", "name": "ids"},
                                            {"shape": [1, 128], "dtype": "float32", "name": "attention_mask"}]
    assert as_dict.totals["macs"] == 128 * 16 * 3


def test_a_tuple_of_ints_is_one_shape_and_a_mix_is_refused() -> None:
    assert len(from_user((3, 8, 8), batch=None, dtype="float32")) == 1
    assert len(from_user(((3, 8, 8), (3, 8, 8)), batch=None, dtype="float32")) == 2
    assert len(from_user(["3x8x8", torch.empty(1, 3, 8, 8)], batch=None, dtype="float32")) == 2
    with pytest.raises(UsageError, match="mixes ints with other inputs"):
        from_user((3, "8x8"), batch=None, dtype="float32")
    with pytest.raises(UsageError, match="empty sequence"):
        from_user([], batch=None, dtype="float32")
    with pytest.raises(UsageError, match="keyword input given twice: mask"):
        from_user(["mask=4", "mask=4"], batch=None, dtype="float32")
    with pytest.raises(UsageError, match="empty sequence"):
        from_user((), batch=None, dtype="float32")


def test_registry_inputs_are_unchanged() -> None:
    # A registry network's native C,H,W still gets the batch; a 4-dim string or tuple is exact as before.
    assert archcost.analyze("resnet20", batch=2).input_shape == (2, 3, 32, 32)
    assert archcost.analyze("resnet20", (2, 3, 32, 32)).totals["macs"] == \
        archcost.analyze("resnet20", "3x32x32", batch=2).totals["macs"]


def test_native_example_shapes_and_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = "test_inputs:video_net"
    import archcost.zoo.resolve as resolving

    real = resolving.resolve

    def with_example(name: str) -> Resolved:
        found = real(name)
        return Resolved(found.name, found.builder, None, example_shapes=((1, 3, 4, 8, 8),))

    monkeypatch.setattr(resolving, "resolve", with_example)
    a = archcost.analyze(spec)
    assert a.input_shape == (1, 3, 4, 8, 8)
    assert a.totals["macs"] == 27 * 3 * 8 * 4 * 8 * 8
    assert archcost.analyze(spec, batch=3).input_shape == (3, 3, 4, 8, 8)  # --batch replaces dim 0


def test_the_cli_takes_repeated_and_keyword_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "table", "test_inputs:two_images", "--input", "3x8x8", "--input", "3x8x8",
                          "--input", "mask=4x8x8", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["input_shape"] == [1, 3, 8, 8]
    assert document["provenance"]["inputs"][2] == {"shape": [1, 4, 8, 8], "dtype": "float32", "name": "mask"}
    assert document["totals"]["macs"] == 2 * 9 * 3 * 4 * 8 * 8
    code, out, err = _run(capsys, "table", "test_inputs:tokens", "--input", "128:int64", "--input",
                          "attention_mask=128", "--batch", "2", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["totals"]["macs"] == 2 * 128 * 16 * 3


def test_the_cli_takes_a_video_shape_and_any_rank(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "table", "test_inputs:video_net", "--input", "1x3x4x8x8", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["totals"]["macs"] == 27 * 3 * 8 * 4 * 8 * 8
    code, out, err = _run(capsys, "table", "test_inputs:conv1d_net", "--input", "16x100", "--batch", "2",
                          "--format", "json")
    assert code == 0, err
    assert json.loads(out)["input_shape"] == [2, 16, 100]
    assert json.loads(out)["totals"]["macs"] == 2 * 3 * 16 * 8 * 98


BAD = [
    # An input the network's first layers refuse is the user's --input, a usage error: exit 2.
    # The per-sample video shape is 4-d, so it is read as the exact shape: the message says how to fix it.
    (["table", "test_inputs:video_net", "--input", "3x4x8x8"],2,
     "1 (BatchNorm3d) expects a 5-d input (N, C, D, H, W); got 3x4x8x8 read as N=3, C=4: give 1x3x4x8x8"),
    (["table", "googlenet", "--input", "1x224x224"],2,
     "conv1.0 (Conv2d) expects 3 input channels; the input 1x1x224x224 has 1 (give --input 3x224x224)"),
    (["table", "googlenet", "--input", "1x3x16x224x224"],2,
     "conv1.0 (Conv2d) expects a 4-d input (N, C, H, W); got 1x3x16x224x224: give --input CxHxW"),
    (["table", "test_inputs:conv1d_net", "--input", "3x100"],2,
     "0 (Conv1d) expects 16 input channels; the input 1x3x100 has 3 (give --input 16x100)"),
    (["table", "test_inputs:tokens", "--input", "128"],2,
     "embed (Embedding) expects integer token ids; the input 1x128 is a float tensor (give an integer dtype, "
     "e.g. --input 128:int64)"),
    (["table", "test_inputs:video_net", "--input", "1x3x4x8x8", "--batch", "2"], 2,
     "input shape '1x3x4x8x8' has batch 1 but --batch says 2"),
    (["table", "googlenet", "--input", "3x224x224:int65"], 2, "unknown input dtype 'int65'"),
    (["table", "googlenet", "--input", "2mask=3"], 2, "'2mask' is not a keyword argument name"),
    (["table", "googlenet", "--input", "3x224x224", "--input", "3x224x224", "--backend", "torch"], 2,
     "cross-checks a forward of one positional input"),
    (["bench", "resnet20", "--input", "3x8x8", "--input", "3x8x8"], 2, "give a single --input"),
    (["bench", "resnet20", "--input", "3x8x8:int64"], 2, "names a keyword or a dtype"),
    (["compare", "resnet20", "resnet32", "--input", "3x0x8"], 2, "every dimension must be at least 1"),
]


@pytest.mark.parametrize(("argv", "code", "message"), BAD)
def test_bad_inputs_get_one_line_that_says_what_fits(argv: list[str], code: int, message: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    got, out, err = _run(capsys, *argv)
    assert (got, out) == (code, "")
    assert err.count("\n") == 1 and err.startswith("archcost: error: ")
    assert message in err


def test_a_mismatch_is_a_forward_error_of_its_own_kind() -> None:
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(3, 8, 3))
    with pytest.raises(InputMismatchError,
                       match=r"expects a 4-d input \(N, C, H, W\); got 1x3x8: give input_shape='CxHxW'"):
        archcost.analyze(model, (3, 8))
    with pytest.raises(InputMismatchError, match="expects 3 input channels"):
        archcost.analyze(model, (1, 8, 8))
