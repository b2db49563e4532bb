"""The rules added for ops that used to count 0 or sit in uncounted_ops: each against a hand formula over shapes,
through a real analysis on meta (and CPU where the kernel differs), and the data-movement ops as free."""

from __future__ import annotations

from math import prod

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import archcost
from testmodels import Call
from archcost.counting import formulas as f
from archcost.counting.opclass import ARITHMETIC_CLASSES, OpClass

CLASSES = tuple(c.value for c in ARITHMETIC_CLASSES)


def totals(fn, shape, *operands, device: str = "meta") -> dict[str, int]:
    model = Call(fn, *(t.to(device) for t in operands))
    # An example tensor is the exact input (a tuple of three or fewer dimensions would get a batch in front).
    a = archcost.analyze(model, torch.zeros(shape, device=device), device=device, convention="full")
    assert a.uncounted_ops == {}, a.uncounted_ops
    return {c: a.totals[c] for c in CLASSES}


def only(**counts: int) -> dict[str, int]:
    return {c: counts.get(c, 0) for c in CLASSES}


dims = st.integers(1, 6)


@settings(max_examples=20, deadline=None)
@given(dims, dims)
def test_mv_dot_addmv(m: int, k: int) -> None:
    assert totals(lambda x, v: torch.mv(x, v), (m, k), torch.zeros(k)) == only(macs=m * k)
    assert totals(lambda x, v: torch.dot(x, v), (k,), torch.zeros(k)) == only(macs=k)
    assert totals(lambda x, v: torch.vdot(x, v), (k,), torch.zeros(k)) == only(macs=k)
    assert totals(lambda x, a, v: torch.addmv(x, a, v), (m,), torch.zeros(m, k), torch.zeros(k)) == only(
        macs=m * k, adds=m)


@settings(max_examples=20, deadline=None)
@given(dims, dims, dims, dims)
def test_addbmm(b: int, n: int, m: int, p: int) -> None:
    # every output element accumulates b*m products; the added matrix is one add per output element
    got = totals(lambda x, b1, b2: torch.addbmm(x, b1, b2), (n, p), torch.zeros(b, n, m), torch.zeros(b, m, p))
    assert got == only(macs=b * n * m * p, adds=n * p)


@settings(max_examples=20, deadline=None)
@given(dims, dims, dims, dims, st.booleans())
def test_bilinear_layer(n: int, i: int, j: int, k: int, bias: bool) -> None:
    """nn.Bilinear: x1^T W_k (N*K*I*J MACs), then the J-long dot with x2 (N*K*J), plus the bias."""
    with torch.device("meta"):
        layer = nn.Bilinear(i, j, k, bias=bias)
    got = totals(lambda x, x2: layer(x, x2), (n, i), torch.zeros(n, j))
    assert got == only(macs=n * k * j * (i + 1), adds=n * k if bias else 0)


def test_linear_reaching_the_mode_whole_under_inference_mode() -> None:
    # No rule of its own: the tracer decomposes it, so its parts (addmm) are counted, as in the other grad modes.
    with torch.device("meta"):
        layer = nn.Linear(6, 5)
    with torch.inference_mode():
        a = archcost.analyze(layer, (3, 6), batch=2, convention="full")
    assert (a.totals["macs"], a.totals["adds"], a.uncounted_ops) == (2 * 3 * 6 * 5, 2 * 3 * 5, {})


MODES = {"nearest": (1, 0), "linear": (2, 1), "bilinear": (4, 3), "bicubic": (16, 15), "trilinear": (8, 7)}
RANK = {"nearest": None, "linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(MODES)), st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 3))
def test_upsampling_per_output_element(mode: str, rank: int, scale: int, size: int, channels: int) -> None:
    rank = RANK[mode] or rank
    shape = (2, channels, *[size] * rank)
    out = 2 * channels * (size * scale) ** rank
    muls, adds = MODES[mode]
    for device in ("meta", "cpu"):
        got = totals(lambda x: F.interpolate(x, scale_factor=scale, mode=mode), shape, device=device)
        assert got == only(muls=muls * out, adds=adds * out), device


ELEMENTWISE = [
    # (fn, per element by class)
    (torch.neg, {"adds": 1}), (torch.abs, {"cmps": 1}), (torch.sqrt, {"exps": 1}), (torch.rsqrt, {"exps": 1}),
    (torch.erf, {"exps": 1}), (torch.log, {"exps": 1}), (lambda x: x.clamp_min(0), {"cmps": 1}),
    (lambda x: x.clamp_max(1), {"cmps": 1}), (lambda x: x.clamp(min=0), {"cmps": 1}),
    (lambda x: x.clamp(0, 1), {"cmps": 2}), (F.hardswish, {"muls": 2, "adds": 1, "cmps": 2}),
    (F.hardsigmoid, {"muls": 1, "adds": 1, "cmps": 2}), (F.softplus, {"muls": 1, "exps": 2, "divs": 1, "cmps": 1}),
    (F.elu, {"cmps": 1, "exps": 1, "adds": 1, "muls": 1}), (F.mish, {"exps": 3, "muls": 1}),
    (lambda x: torch.where(x > 0, x, x), {"cmps": 2}), (lambda x: x.masked_fill(x > 0, 1.0), {"cmps": 2}),
    (lambda x: x ** 2, {"muls": 1}), (lambda x: x ** 3, {"muls": 2}), (lambda x: x ** 0.5, {"exps": 1}),
    (lambda x: x ** -1, {"divs": 1}),
]


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=4))
def test_elementwise_recipes(shape: list[int]) -> None:
    for fn, per in ELEMENTWISE:
        assert totals(fn, tuple(shape)) == only(**{c: k * prod(shape) for c, k in per.items()})


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=2, max_size=4), st.data())
def test_reductions_and_scans(shape: list[int], data: st.DataObject) -> None:
    dim = data.draw(st.integers(0, len(shape) - 1))
    n, rows = prod(shape), prod(shape) // shape[dim]
    assert totals(lambda x: x.amax(dim), tuple(shape)) == only(cmps=n - rows)
    assert totals(lambda x: x.cumsum(dim), tuple(shape)) == only(adds=n - rows)
    # two-pass variance: mean (n adds, a div per output), deviations (n subs), squares (n muls), sum (n adds),
    # a div per output; std adds a square root per output
    assert totals(lambda x: x.var(dim), tuple(shape)) == only(adds=3 * n, muls=n, divs=2 * rows)
    assert totals(lambda x: torch.var_mean(x, dim)[0], tuple(shape)) == only(adds=3 * n, muls=n, divs=2 * rows)
    assert totals(lambda x: x.std(dim), tuple(shape)) == only(adds=3 * n, muls=n, divs=2 * rows, exps=rows)
    assert totals(lambda x: torch.linalg.vector_norm(x, dim=dim), tuple(shape)) == only(muls=n, adds=n, exps=rows)
    assert totals(lambda x: torch.linalg.vector_norm(x, 1, dim=dim), tuple(shape)) == only(cmps=n, adds=n)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(2, 5), st.booleans())
def test_instance_norm_counts_its_statistics(n: int, c: int, size: int, affine: bool) -> None:
    """Instance norm reaches the dispatcher as a training-mode batch norm: 5 ops per element with affine, 4 without
    (what layer and group norm cost), on meta and on CPU."""
    for device in ("meta", "cpu"):
        with torch.device(device):
            layer = nn.InstanceNorm2d(c, affine=affine)
        a = archcost.analyze(layer, (n, c, size, size), device=device, convention="full")
        assert a.totals["norm"] == n * c * size * size * (5 if affine else 4)


def test_softmax_variants_cost_the_same() -> None:
    shape = (2, 3, 4)
    assert totals(lambda x: torch.softmax(x, -1), shape) == only(exps=24)
    assert totals(lambda x: torch.ops.aten._safe_softmax(x, -1), shape) == only(exps=24)


def test_data_movement_is_free_and_not_uncounted() -> None:
    def shuffle(x: torch.Tensor) -> torch.Tensor:
        idx = torch.arange(x.shape[0], device=x.device)
        y = x[idx].roll(1, 0).flip(0)
        y = torch.gather(y, 1, torch.zeros_like(y, dtype=torch.long))
        a, b = torch.ops.aten.unsafe_split(y, 1, 1)[:2]
        z = torch.cat([a, b], 1).tril()
        z[idx] = z.clone()
        with torch.autograd.profiler.record_function("block"):
            z = z.t().contiguous().t()
        return z

    for device in ("meta", "cpu"):
        assert totals(shuffle, (4, 4), device=device) == only()


def test_accumulating_writes_count_their_additions() -> None:
    def accumulate(x: torch.Tensor) -> torch.Tensor:
        idx = torch.zeros(3, dtype=torch.long, device=x.device)
        return x.index_put((idx,), torch.ones(3, 4, device=x.device), accumulate=True)

    assert totals(accumulate, (5, 4), device="cpu") == only(adds=12)
    assert totals(lambda x: x.scatter_add(0, torch.zeros_like(x, dtype=torch.long), x), (3, 4),
                  device="cpu") == only(adds=12)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_upsample_formula_docstring_model(mode: str) -> None:
    muls, adds = MODES[mode]
    terms = {t.op_class: t.count for t in f.upsample(mode, (1, 2, 3))}
    assert terms == {OpClass.MULS: 6 * muls, **({OpClass.ADDS: 6 * adds} if adds else {})}


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9), st.integers(1, 9), st.integers(1, 3))
def test_adaptive_max_pool_counts_each_window(h_in: int, w_in: int, h_out: int, w_out: int, channels: int) -> None:
    """Against a brute force over every output position, with torch's window bounds (floor start, ceil end)."""
    def bounds(i: int, size_in: int, size_out: int) -> int:
        start, end = (i * size_in) // size_out, -(-(i + 1) * size_in // size_out)
        return end - start

    expected = channels * sum(bounds(i, h_in, h_out) * bounds(j, w_in, w_out) - 1
                              for i in range(h_out) for j in range(w_out))
    layer = nn.AdaptiveMaxPool2d((h_out, w_out))
    on_meta = totals(lambda x: layer(x), (1, channels, h_in, w_in))
    on_cpu = totals(lambda x: layer(x), (1, channels, h_in, w_in), device="cpu")
    assert on_meta == on_cpu == only(cmps=expected)


def test_adaptive_max_pool_1d_and_3d() -> None:
    one_d = nn.AdaptiveMaxPool1d(3)  # windows of 5 over 7 inputs: [0,3) [2,5) [4,7), 3 taps each
    assert totals(lambda x: one_d(x), (1, 2, 7)) == only(cmps=2 * 3 * (3 - 1))
    three_d = nn.AdaptiveMaxPool3d(1)  # one global window
    assert totals(lambda x: three_d(x), (1, 2, 3, 3, 3)) == only(cmps=2 * (27 - 1))
