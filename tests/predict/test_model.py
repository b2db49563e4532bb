"""The latency model on a synthetic profile, against hand computations (no test here times anything)."""

from __future__ import annotations

import math

import pytest
import torch

import archcost
from archcost.predict.kinds import OpKind, classify
from archcost.predict.model import efficiency, interpolate, predict_op
from synthetic import (BANDWIDTH_BYTES_PER_S, EFFICIENCY, FRACTION, FREE_OVERHEAD_S, KERNEL_OVERHEAD_S,
                       MODULE_OVERHEAD_S, PEAK_MACS_PER_S, document, model)


def test_pure_compute_bound_op() -> None:
    # 1e6 MACs at 1e9 MAC/s x 0.5 = 2 ms; 1,000 bytes at 2e9 B/s = 0.5 us: compute decides.
    op = predict_op(OpKind("conv3x3", 64, 3136), 10**6, 1000, model())
    assert op.compute_s == pytest.approx(10**6 / (PEAK_MACS_PER_S * EFFICIENCY))
    assert op.memory_s == pytest.approx(1000 / BANDWIDTH_BYTES_PER_S)
    assert op.seconds == pytest.approx(KERNEL_OVERHEAD_S + 2e-3)
    assert op.bound == "compute"


def test_pure_memory_bound_op() -> None:
    # An elementwise op moving 4 MB at 2e9 B/s x 0.25 = 8 ms, no compute term.
    op = predict_op(OpKind("elementwise", 0, 0), 0, 4 * 10**6, model())
    assert op.compute_s == 0
    assert op.seconds == pytest.approx(KERNEL_OVERHEAD_S + 4e6 / (BANDWIDTH_BYTES_PER_S * FRACTION))
    assert op.bound == "memory"


def test_memory_term_decides_a_matrix_vector_product() -> None:
    # 1x1000 @ 1000x1000: 1e6 MACs = 2 ms of compute, but 4e6 weight bytes / 2e9 = 2 ms too; make memory larger.
    op = predict_op(OpKind("matmul", 1000, 1), 10**6, 8 * 10**6, model())
    assert op.seconds == pytest.approx(KERNEL_OVERHEAD_S + 8e6 / BANDWIDTH_BYTES_PER_S)
    assert op.bound == "memory"


def test_free_ops_cost_overhead_only() -> None:
    op = predict_op(classify("view", ((1, 64),), None), 0, 512, model())
    assert (op.kind, op.seconds, op.bound) == ("free", FREE_OVERHEAD_S, "overhead")


def test_grid_is_read_bilinearly_in_log2_space() -> None:
    curve = {"channels": [16, 64], "positions": [4, 64], "values": [[0.2, 0.6], [0.4, 1.0]]}
    # channels 32 is halfway between 16 and 64 in log2 (4 -> 6 is 5); positions 16 halfway between 4 and 64.
    assert efficiency(curve, 32, 16) == pytest.approx((0.2 + 0.6 + 0.4 + 1.0) / 4)
    assert efficiency(curve, 1, 1) == 0.2 and efficiency(curve, 1e6, 1e6) == 1.0  # clamped at the edges
    assert interpolate([0.0, 10.0], [1.0, 3.0], 2.5) == pytest.approx(1.5)


@pytest.mark.parametrize("shapes, kind", [
    (((1, 32, 56, 56), (64, 32, 3, 3)), "conv3x3"),
    (((1, 32, 56, 56), (64, 32, 1, 1)), "conv1x1"),
    (((1, 32, 56, 56), (64, 32, 7, 7)), "conv7x7"),
    (((1, 32, 56, 56), (32, 1, 5, 5)), "conv_depthwise5"),
    (((1, 128, 56, 56), (128, 4, 3, 3)), "conv_grouped"),
    (((1, 16, 32, 32), (16, 16, 3, 3)), "conv_native"),  # 16,384 input elements: torch's im2col path
    (((2, 16, 32, 32), (16, 16, 3, 3)), "conv3x3"),  # two samples: oneDNN
])
def test_convolutions_are_classified_by_shape(shapes: tuple, kind: str) -> None:
    assert classify("convolution", shapes, _macs(shapes), threads=2).kind == kind


def _macs(shapes: tuple) -> tuple:
    """The MACs term of an unstrided 'same' convolution of these shapes."""
    from archcost.counting.formulas import Term
    from archcost.counting.opclass import OpClass

    data, weight = shapes
    count = math.prod(weight) * data[0] * math.prod(data[2:])
    return (Term(OpClass.MACS, count, "MACs"),)


def test_one_thread_sends_unstrided_1x1_convolutions_to_torch_s_own_kernel() -> None:
    shapes = ((1, 64, 56, 56), (256, 64, 1, 1))
    assert classify("convolution", shapes, _macs(shapes), threads=1).kind == "conv1x1_native"
    assert classify("convolution", shapes, _macs(shapes), threads=2).kind == "conv1x1"
    strided = _macs(shapes)[0]  # stride 2: a quarter of the output positions, so a quarter of the MACs
    quarter = (type(strided)(strided.op_class, strided.count // 4, "MACs"),)
    assert classify("convolution", shapes, quarter, threads=1).kind == "conv1x1"
    sixteen = ((16, 64, 56, 56), (256, 64, 1, 1))
    assert classify("convolution", sixteen, _macs(sixteen), threads=1).kind == "conv1x1"


def _tiny() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(0))


def test_layers_sum_ops_by_hand() -> None:
    """A conv and a ReLU on a 1x3x8x8 input, every figure by hand: MACs 3*3*3*16*8*8, bytes moved input + weight +
    bias + output (conv) and input + output (ReLU), and the module-call overhead of each module called."""
    analysis = archcost.analyze(_tiny(), (1, 3, 8, 8), predict=model())
    conv, relu, flatten = (analysis.layer(n) for n in ("0", "1", "2"))
    macs = 3 * 3 * 3 * 16 * 8 * 8
    conv_bytes = 4 * (3 * 8 * 8 + 16 * 3 * 3 * 3 + 16 + 16 * 8 * 8)
    assert conv["memory_bytes"] == conv_bytes
    conv_s = MODULE_OVERHEAD_S + KERNEL_OVERHEAD_S + max(macs / (PEAK_MACS_PER_S * EFFICIENCY),
                                                          conv_bytes / BANDWIDTH_BYTES_PER_S)
    assert conv["predicted_ms"] == pytest.approx(1e3 * conv_s)
    assert conv["bound"] == "compute"
    relu_bytes = 4 * 2 * 16 * 8 * 8
    relu_s = MODULE_OVERHEAD_S + KERNEL_OVERHEAD_S + relu_bytes / (BANDWIDTH_BYTES_PER_S * FRACTION)
    assert relu["predicted_ms"] == pytest.approx(1e3 * relu_s)
    assert relu["bound"] == "memory"
    # Flatten is a view: its op and its module call are overhead only.
    assert flatten["bound"] == "overhead"
    assert flatten["predicted_ms"] == pytest.approx(1e3 * (MODULE_OVERHEAD_S + FREE_OVERHEAD_S))
    root = MODULE_OVERHEAD_S + conv_s + relu_s + MODULE_OVERHEAD_S + FREE_OVERHEAD_S
    assert analysis.totals["predicted_ms"] == pytest.approx(1e3 * root)
    assert analysis.rows[0]["predicted_ms"] == analysis.totals["predicted_ms"]


def test_overhead_only_layers() -> None:
    """A network of views and identities: nothing but per-call overheads, bound 'overhead' everywhere."""
    net = torch.nn.Sequential(torch.nn.Identity(), torch.nn.Flatten(), torch.nn.Unflatten(1, (4, 4)))
    analysis = archcost.analyze(net, (1, 16), predict=model())
    assert {r["bound"] for r in analysis.rows} == {"overhead"}
    ops = sum(1 for r in analysis.records)
    expected = 1e3 * (4 * MODULE_OVERHEAD_S + ops * FREE_OVERHEAD_S)
    assert analysis.totals["predicted_ms"] == pytest.approx(expected)
    assert ops >= 2  # flatten and unflatten each make a view


def test_provenance_and_json_fields() -> None:
    analysis = archcost.analyze(_tiny(), (1, 3, 8, 8), predict=document())
    data = analysis.to_dict()
    assert data["totals"]["predicted_ms"] > 0
    assert all("predicted_ms" in layer and layer["bound"] in ("compute", "memory", "overhead")
               for layer in data["layers"])
    assert data["provenance"]["device_profile"]["source"] == "measured"
    assert data["provenance"]["device_profile"]["differs"] == []
    assert math.isclose(sum(r["predicted_ms"] for r in analysis.rows if r["depth"] == 1) + 1e3 * MODULE_OVERHEAD_S,
                        data["totals"]["predicted_ms"])


def test_train_mode_refuses_predict() -> None:
    with pytest.raises(archcost.errors.UsageError, match="inference"):
        archcost.analyze(_tiny(), (1, 3, 8, 8), mode="train", predict="h100")


def test_accuracy_figures_by_hand() -> None:
    from archcost.predict.accuracy import power_law, power_law_ms, ranks, spearman, summary

    # errors +5 %, -15 %, +30 %, 0 %: median |e| = 10 %, within 10 %: 2 of 4, within 20 %: 3 of 4.
    figures = summary([1.05, 0.85, 1.3, 1.0], [1.0, 1.0, 1.0, 1.0])
    assert figures["median_abs_error"] == pytest.approx(0.10)
    assert (figures["within_10"], figures["within_20"]) == (0.5, 0.75)
    assert ranks([10, 30, 20, 20]) == [1.0, 4.0, 2.5, 2.5]
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [40, 30, 20, 10]) == pytest.approx(-1.0)
    fit = power_law([1e6, 1e8, 1e10], [2 * 1e6**0.5, 2 * 1e8**0.5, 2 * 1e10**0.5])  # ms = 2 * MACs^0.5 exactly
    assert fit[1] == pytest.approx(0.5) and power_law_ms(fit, 1e4) == pytest.approx(200)


def test_new_output_pages_are_charged_above_the_threshold_only() -> None:
    """An out-of-place op writing 1 MB of new output pays 1 MB / first-touch bandwidth; in place, or under the
    allocator's threshold, it pays nothing for pages."""
    from archcost.predict.kinds import allocates

    profile = model(first_touch_bytes_per_s=5e8, fresh_threshold_bytes=131072)
    relu = OpKind("elementwise", 0, 0)
    big = predict_op(relu, 0, 2 * 10**6, profile, fresh_bytes=10**6)
    assert big.allocation_s == pytest.approx(10**6 / 5e8)
    assert big.seconds == pytest.approx(KERNEL_OVERHEAD_S + 2e6 / (BANDWIDTH_BYTES_PER_S * FRACTION) + 2e-3)
    assert predict_op(relu, 0, 2 * 10**5, profile, fresh_bytes=10**5).allocation_s == 0
    assert allocates("relu", relu) and not allocates("relu_", relu)
    assert not allocates("view", classify("view", ((4,),), None))


def test_a_max_pool_is_costed_by_its_window_taps() -> None:
    """MaxPool2d(2) on 64 x 8 x 8: 1,024 outputs x 4 taps = 4,096 taps read at 1e9 x 0.5 a second = 8.19 us of
    compute; input 16,384 B + output 4,096 B + int64 indices 8,192 B at 2e9 B/s = 14.3 us: memory decides."""
    analysis = archcost.analyze(torch.nn.MaxPool2d(2), input_shape=(1, 64, 8, 8), predict=model())
    (record,) = analysis.records
    kind = classify(record.op, record.shapes, record.terms)
    assert (kind.kind, kind.channels, kind.positions) == ("max_pool", 4, 1024)
    compute_s, memory_s = 4096 / (PEAK_MACS_PER_S * EFFICIENCY), (16384 + 4096 + 8192) / BANDWIDTH_BYTES_PER_S
    assert analysis.totals["predicted_ms"] == pytest.approx(1e3 * (MODULE_OVERHEAD_S + KERNEL_OVERHEAD_S
                                                                   + max(compute_s, memory_s)))


def test_a_transcendental_function_runs_at_its_own_speed_against_sigmoid() -> None:
    """The transcendental curve is sigmoid's; a profile's relative table makes tanh 3x slower, by hand: 4 MB at
    2e9 B/s x 0.25 / 3; a function the table does not name keeps the curve."""
    relative = model(transcendental_relative={"sigmoid": 1.0, "tanh": 3.0})
    sigmoid = predict_op(OpKind("transcendental", 0, 0, "sigmoid"), 0, 4 * 10**6, relative)
    tanh = predict_op(OpKind("transcendental", 0, 0, "tanh"), 0, 4 * 10**6, relative)
    other = predict_op(OpKind("transcendental", 0, 0, "erf"), 0, 4 * 10**6, relative)
    assert sigmoid.memory_s == pytest.approx(4e6 / (BANDWIDTH_BYTES_PER_S * FRACTION)) == other.memory_s
    assert tanh.memory_s == pytest.approx(3 * 4e6 / (BANDWIDTH_BYTES_PER_S * FRACTION))
    kinds = [classify(r.op, r.shapes, r.terms) for r in archcost.analyze(torch.nn.Tanh(), input_shape=(8,)).records]
    assert [(k.kind, k.function) for k in kinds] == [("transcendental", "tanh")]
