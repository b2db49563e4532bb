"""The tracer: attribution, sharing, decomposition, invariants, no allocation, no mutation."""

from __future__ import annotations


import pytest
import torch

import archcost
from archcost.errors import ForwardError, InputTooSmallError
from testmodels import Failing, Functional, Shared, TinyResNet, Uncounted, rss_bytes

OWN = {"params": "own_params", "macs": "own_macs", "ops": "own_ops"}


def test_functional_calls_are_counted_and_attributed_to_the_calling_module() -> None:
    a = archcost.analyze(Functional(), (2, 8, 5, 5))
    n = 2 * 8 * 5 * 5
    t = a.totals
    assert t["macs"] == 2 * n * 8  # two 1x1 convs of 8 -> 8 channels
    # sigmoid of the gate (n) and of the pooled squeeze (2 x 8)
    assert t["exps"] == n + 2 * 8
    # h*T, x*(1-T), y*sigmoid(s)
    assert t["muls"] == 3 * n
    # conv biases (2n), 1 - T (n), the gated sum (n), the global pool accumulates every element once (n)
    assert t["adds"] == 2 * n + n + n + n
    assert t["divs"] == 2 * 8
    root = a.rows[0]
    assert root["own_macs"] == 0 and root["own_ops"] == 0  # paper convention: functional ops are not MACs
    assert a.uncounted_ops == {}


def test_a_module_called_twice_counts_twice_and_tied_weights_count_once() -> None:
    a = archcost.analyze(Shared(), (1, 4, 6, 6))
    conv = a.layer("conv")
    assert conv["calls"] == 2
    assert conv["macs"] == 2 * (3 * 3 * 4 * 4 * 6 * 6)
    assert conv["params"] == 4 * 4 * 9 + 4  # parameters are not doubled by the second call
    # head: 16 weights + 4 biases; tied shares head's weight, so it owns nothing
    assert a.layer("tied")["params"] == 0
    assert a.totals["params"] == (4 * 4 * 9 + 4) + (16 + 4)
    assert a.totals["macs"] == 2 * (3 * 3 * 4 * 4 * 6 * 6) + 2 * 16


@pytest.mark.parametrize("name", ["googlenet", "googlenet-fmnist", "inception-bottleneck"])
def test_own_figures_sum_to_the_totals(name: str) -> None:
    a = archcost.analyze(name, convention="full")
    for total, own in OWN.items():
        assert sum(r[own] for r in a.rows) == a.totals[total]
    # every child's inclusive figure is at most its parent's
    by_name = {r["name"]: r for r in a.rows}
    for r in a.rows[1:]:
        parent = r["name"].rpartition(".")[0]
        assert r["macs"] <= by_name[parent]["macs"]


def test_grad_modes_count_every_op_exactly_once() -> None:
    def totals(context: object) -> dict:
        model = TinyResNet()
        with context:  # type: ignore[attr-defined]
            return archcost.analyze(model, (2, 3, 16, 16), device="cpu", convention="full").totals

    plain = totals(torch.enable_grad())
    assert totals(torch.no_grad()) == plain
    assert totals(torch.inference_mode()) == plain


def test_an_op_without_a_rule_is_reported_never_silently_zero() -> None:
    a = archcost.analyze(Uncounted(), (1, 3, 4, 4))
    assert a.uncounted_ops == {"sort": 1}


def test_meta_equals_cpu() -> None:
    meta = archcost.analyze("googlenet-fmnist", convention="full")
    cpu = archcost.analyze("googlenet-fmnist", device="cpu", convention="full")
    assert meta.totals == cpu.totals
    assert [r for r in meta.rows] == [r for r in cpu.rows]


def test_meta_allocates_nothing_real() -> None:
    # GoogLeNet at 8x3x2048x2048 would need tens of GB of real activations.
    before = rss_bytes()
    a = archcost.analyze("googlenet", "8x3x2048x2048")
    grown = rss_bytes() - before
    assert a.totals["activation_bytes"] > 10 * 2**30
    assert grown < 200 * 2**20
    model = archcost.build("googlenet")
    assert {p.device.type for p in model.parameters()} == {"meta"}
    # Each storage lives on meta and has no data: a real one (an initialiser run on CPU, a buffer created off meta)
    # would have an address.
    storages = [t.untyped_storage() for t in (*model.parameters(), *model.buffers())]
    assert storages and all(s.device.type == "meta" and s.data_ptr() == 0 for s in storages)
    real = torch.zeros(3)
    assert real.untyped_storage().data_ptr() != 0  # the check above can tell a real storage from a meta one


def _state(model: torch.nn.Module) -> tuple:
    return (
        list(model.state_dict().keys()),
        [(len(m._forward_hooks), len(m._forward_pre_hooks)) for m in model.modules()],
        [m.training for m in model.modules()],
        {t.device.type for t in (*model.parameters(), *model.buffers())},
        [t.clone() for t in model.state_dict().values()],
    )


def test_analysis_never_mutates_the_model() -> None:
    model = TinyResNet()
    model.train()
    before = _state(model)
    archcost.analyze(model, (2, 3, 16, 16), device="cpu")
    archcost.analyze(model, (2, 3, 16, 16))  # a CPU model analysed on meta through stand-ins
    after = _state(model)
    assert before[:4] == after[:4]
    assert all(torch.equal(x, y) for x, y in zip(before[4], after[4]))  # BN running stats untouched


def test_analysis_never_mutates_the_model_when_the_forward_raises() -> None:
    model = Failing()
    before = _state(model)
    with pytest.raises(ForwardError, match=r"broken \(Linear\)"):
        archcost.analyze(model, (1, 3, 8, 8), device="cpu")
    assert _state(model)[:4] == before[:4]


def test_an_input_too_small_names_the_layer_where_it_collapses() -> None:
    with pytest.raises(InputTooSmallError, match=r"collapses at pool4 \(MaxPool2d\)"):
        archcost.analyze("googlenet", "3x16x16")


def test_peak_live_activation_estimate_is_bounded_by_the_total() -> None:
    a = archcost.analyze("googlenet")
    t = a.totals
    first_conv_output = 64 * 112 * 112 * 4
    assert first_conv_output <= t["peak_activation_bytes"] < t["activation_bytes"]


def test_repeated_analyses_are_independent_copies() -> None:
    first = archcost.analyze("inception-naive")
    first.rows[0]["macs"] = -1
    first.totals["macs"] = -1
    again = archcost.analyze("inception-naive")
    assert again.totals["macs"] == again.rows[0]["macs"] == 854_196_224
    assert archcost.analyze("inception-naive", convention="full").totals["ops"] > again.totals["ops"]
