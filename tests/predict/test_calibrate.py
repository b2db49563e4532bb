"""The profile's in-network factor: generated networks, the factor's fit, and how the model applies it."""

from __future__ import annotations

from statistics import median

import pytest
import torch

import archcost
from archcost.predict import calibrate, generated_networks
from archcost.predict.fit import in_network_factors
from archcost.predict.kinds import OpKind
from archcost.predict.model import predict_op
from synthetic import KERNEL_OVERHEAD_S, MODULE_OVERHEAD_S, model


def test_the_generated_networks_are_the_same_every_time_and_cover_every_family() -> None:
    first, second = generated_networks.networks(), generated_networks.networks()
    assert len(first) == generated_networks.NETWORKS
    assert [n for n, _, _ in first] == [n for n, _, _ in second]
    assert {n.rsplit("-", 1)[0] for n, _, _ in first} == set(generated_networks.FAMILIES)
    for (_, a, shape_a), (_, b, shape_b) in zip(first, second):
        assert shape_a == shape_b
        assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize("index", range(generated_networks.NETWORKS))
def test_every_generated_network_is_counted_as_torch_s_flop_counter_counts_it(index: int) -> None:
    """MACs on meta equal half of torch.utils.flop_counter's FLOPs on a real CPU forward (convolutions, linears,
    matmuls and attention are all it counts): the factor is fitted on predictions of exactly counted networks.
    Gradients stay on, so nn.TransformerEncoderLayer takes its plain path (its fused eval path is one op the
    counter cannot see into; the same matrix products)."""
    from torch.utils.flop_counter import FlopCounterMode

    name, network, shape = generated_networks.networks()[index]
    counter = FlopCounterMode(display=False)
    with counter:
        network(torch.randn(shape))
    expected = counter.get_total_flops() // 2
    if name.startswith("transformer"):  # the counter misses CPU's fused attention kernel: QK^T and AV by hand
        layers = [m for m in network if isinstance(m, torch.nn.TransformerEncoderLayer)]
        dim, tokens = network[0].embed.out_channels, (shape[-1] // 16) ** 2
        expected += len(layers) * 2 * tokens * tokens * dim
    assert archcost.analyze(network, input_shape=shape).totals["macs"] == expected


def test_two_factors_are_fitted_by_least_squares_on_relative_error() -> None:
    """Networks made with compute x1.1 and memory + overhead x1.5 give those two factors back exactly."""
    parts = [(10, 1, 1), (2, 5, 3), (6, 0, 4), (1, 1, 8)]
    rows = [{"compute_ms": c, "memory_ms": m, "overhead_ms": o, "predicted_ms": c + m + o,
             "measured_ms": 1.1 * c + 1.5 * (m + o)} for c, m, o in parts]
    assert in_network_factors(rows) == pytest.approx({"compute": 1.1, "memory": 1.5, "overhead": 1.5})


def test_networks_that_cannot_tell_the_parts_apart_share_the_median_factor() -> None:
    """Every network in the same proportion: the normal equations are singular, so both parts take the median of
    measured / predicted (1.35; the outlier moves nothing)."""
    rows = [{"compute_ms": 2 * p, "memory_ms": p, "overhead_ms": 0, "predicted_ms": 3 * p, "measured_ms": 3 * p * r}
            for p, r in ((1, 1.2), (2, 1.5), (3, 1.1), (4, 5.0))]
    assert in_network_factors(rows) == pytest.approx({"compute": 1.35, "memory": 1.35, "overhead": 1.35})


def test_a_fit_outside_the_bounds_falls_back_to_the_median_factor() -> None:
    """Compute x10 is no in-network slowdown but a failed fit: both parts take the median ratio."""
    parts = [(10, 1, 1), (2, 5, 3), (6, 0, 4)]
    rows = [{"compute_ms": c, "memory_ms": m, "overhead_ms": o, "predicted_ms": c + m + o,
             "measured_ms": 10 * c + (m + o)} for c, m, o in parts]
    one = median(r["measured_ms"] / r["predicted_ms"] for r in rows)
    assert in_network_factors(rows) == pytest.approx({"compute": one, "memory": one, "overhead": one})


def test_each_factor_multiplies_its_own_term() -> None:
    plain = model()
    scaled = model(in_network_factors={"compute": 2.0, "memory": 3.0, "overhead": 5.0})
    for kind, macs, nbytes in ((OpKind("conv3x3", 64, 3136), 10**6, 1000), (OpKind("elementwise", 0, 0), 0, 4 * 10**6),
                               (OpKind("free", 0, 0), 0, 64)):
        one, two = predict_op(kind, macs, nbytes, plain, 2**30), predict_op(kind, macs, nbytes, scaled, 2**30)
        assert (two.overhead_s, two.compute_s, two.memory_s, two.allocation_s) == pytest.approx(
            (5 * one.overhead_s, 2 * one.compute_s, 3 * one.memory_s, 3 * one.allocation_s))


def test_equal_factors_scale_a_network_s_prediction_and_its_module_calls() -> None:
    network = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU())
    one = archcost.analyze(network, input_shape=(3, 16, 16), predict=model())
    two = archcost.analyze(network, input_shape=(3, 16, 16),
                           predict=model(in_network_factors={"compute": 2.0, "memory": 2.0, "overhead": 2.0}))
    assert two.totals["predicted_ms"] == pytest.approx(2 * one.totals["predicted_ms"])
    for part in ("compute", "memory", "overhead"):  # the module calls' overhead (3 x MODULE_OVERHEAD_S) too
        assert two.columns[f"predicted_{part}_ms"][0] == pytest.approx(2 * one.columns[f"predicted_{part}_ms"][0])
    assert one.columns["predicted_overhead_ms"][0] >= 1e3 * (3 * MODULE_OVERHEAD_S + 2 * KERNEL_OVERHEAD_S)


def test_measuring_a_network_keeps_the_median_of_its_pass_medians() -> None:
    """One tiny generated-style network timed for real (a few milliseconds): its row's parts add up to its
    prediction and its figure is the median of one median per pass."""
    tiny = [("tiny", torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU()).eval(), (1, 3, 8, 8))]
    told = []
    rows = calibrate.measure_networks(model(), "cpu", torch.float32, lambda i, name: told.append((i, name)), tiny)
    (row,) = rows
    assert len(row["pass_ms"]) == calibrate.PASSES and all(t > 0 for t in row["pass_ms"])
    assert row["measured_ms"] == median(row["pass_ms"])
    assert row["compute_ms"] + row["memory_ms"] + row["overhead_ms"] == pytest.approx(row["predicted_ms"])
    assert told == [(i, "tiny") for i in range(calibrate.PASSES)]
