"""Property tests: the engine's counts equal independent hand formulas written from the layer's own settings."""

from __future__ import annotations

from math import prod

import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn

import archcost


def out_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@st.composite
def conv_settings(draw: st.DrawFn) -> dict:
    dims = draw(st.sampled_from([1, 2, 3]))
    groups = draw(st.sampled_from([1, 2, 4]))
    depthwise = draw(st.booleans())
    c_in = groups * draw(st.integers(1, 3))
    c_out = c_in if depthwise else groups * draw(st.integers(1, 3))
    if depthwise:
        groups = c_in
    kernel = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    padding = draw(st.integers(0, 2))
    dilation = draw(st.integers(1, 2))
    span = dilation * (kernel - 1) + 1
    size = draw(st.integers(max(span - 2 * padding, 1), span + 6))
    return dict(dims=dims, groups=groups, c_in=c_in, c_out=c_out, kernel=kernel, stride=stride, padding=padding,
                dilation=dilation, size=size, batch=draw(st.integers(1, 3)), bias=draw(st.booleans()))


CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
CONV_T = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}


@given(conv_settings())
def test_convolution_macs_equal_the_hand_formula(s: dict) -> None:
    with torch.device("meta"):
        layer = CONV[s["dims"]](s["c_in"], s["c_out"], s["kernel"], s["stride"], s["padding"], s["dilation"],
                                s["groups"], bias=s["bias"])
    shape = (s["batch"], s["c_in"], *[s["size"]] * s["dims"])
    # Up to three dimensions are per sample (batch= prepends N); four or more are the exact shape.
    a = archcost.analyze(layer, shape if s["dims"] == 3 else shape[1:], batch=s["batch"])
    o = out_size(s["size"], s["kernel"], s["stride"], s["padding"], s["dilation"])
    # K^d * (C_in / groups) * C_out * H_out^d * N
    expected = s["kernel"] ** s["dims"] * (s["c_in"] // s["groups"]) * s["c_out"] * o ** s["dims"] * s["batch"]
    assert a.totals["macs"] == expected
    assert a.totals["adds"] == (s["batch"] * s["c_out"] * o ** s["dims"] if s["bias"] else 0)
    assert a.totals["params"] == s["c_out"] * (s["c_in"] // s["groups"]) * s["kernel"] ** s["dims"] + (
        s["c_out"] if s["bias"] else 0)


@given(conv_settings(), st.integers(0, 1))
def test_transposed_convolution_macs_equal_the_hand_formula(s: dict, extra: int) -> None:
    output_padding = min(extra, max(s["stride"], s["dilation"]) - 1)
    t_out = (s["size"] - 1) * s["stride"] - 2 * s["padding"] + s["dilation"] * (s["kernel"] - 1) + output_padding + 1
    assume(t_out > 0)
    with torch.device("meta"):
        layer = CONV_T[s["dims"]](s["c_in"], s["c_out"], s["kernel"], s["stride"], s["padding"], output_padding,
                                  s["groups"], bias=False, dilation=s["dilation"])
    shape = (s["batch"], s["c_in"], *[s["size"]] * s["dims"])
    # Up to three dimensions are per sample (batch= prepends N); four or more are the exact shape.
    a = archcost.analyze(layer, shape if s["dims"] == 3 else shape[1:], batch=s["batch"])
    # Every input element is scattered through K^d taps into C_out / groups channels.
    expected = s["kernel"] ** s["dims"] * s["c_in"] * (s["c_out"] // s["groups"]) * s["size"] ** s["dims"] * s["batch"]
    assert a.totals["macs"] == expected


@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 64), st.integers(1, 64), st.booleans(), st.booleans())
def test_linear_on_2d_and_3d_inputs(batch: int, tokens: int, f_in: int, f_out: int, three_d: bool, bias: bool) -> None:
    with torch.device("meta"):
        layer = nn.Linear(f_in, f_out, bias=bias)
    shape = (batch, tokens, f_in) if three_d else (batch, f_in)

    class Wrapper(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = layer

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.layer(x.reshape(shape))

    # analyze takes image-shaped inputs; the wrapper reshapes one into the linear layer's input.
    image = (batch, tokens if three_d else 1, f_in, 1)
    a = archcost.analyze(Wrapper(), image)
    rows = batch * (tokens if three_d else 1)
    assert a.totals["macs"] == rows * f_in * f_out
    assert a.totals["adds"] == (rows * f_out if bias else 0)
    assert a.uncounted_ops == {}


@given(st.integers(1, 3), st.integers(1, 8), st.integers(1, 8), st.integers(1, 8), st.sampled_from(["matmul", "bmm",
                                                                                                    "einsum"]))
def test_batched_matmul(b: int, m: int, k: int, n: int, how: str) -> None:
    class Product(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            a = x.reshape(b, m, k)
            w = torch.ones(b, k, n, device=x.device)
            if how == "bmm":
                return torch.bmm(a, w)
            if how == "einsum":
                return torch.einsum("bmk,bkn->bmn", a, w)
            return a @ w

    a = archcost.analyze(Product(), (b, m, k, 1))
    if how == "einsum" and k == 1:
        # With nothing to sum over, torch's einsum multiplies elementwise instead of calling bmm: no accumulation.
        assert (a.totals["macs"], a.totals["muls"]) == (0, b * m * n)
    else:
        assert a.totals["macs"] == b * m * k * n


def test_pooling_and_elementwise_classes() -> None:
    class Mixed(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = nn.functional.max_pool2d(x, 3, 2)  # 2 x 4 x 4 x 4 outputs, 8 comparisons each
            z = nn.functional.avg_pool2d(x, 2)  # 2 x 4 x 5 x 5 outputs, 4 adds and 1 division each
            return torch.relu(y).sum() + z.sum()

    a = archcost.analyze(Mixed(), (2, 4, 10, 10))
    t = a.totals
    assert t["macs"] == 0
    assert t["cmps"] == prod((2, 4, 4, 4)) * 8 + prod((2, 4, 4, 4))  # max-pool windows + relu
    assert t["divs"] == prod((2, 4, 5, 5))
    # avg-pool accumulation + the two sums (every element once) + the final scalar add
    assert t["adds"] == prod((2, 4, 5, 5)) * 4 + prod((2, 4, 4, 4)) + prod((2, 4, 5, 5)) + 1
