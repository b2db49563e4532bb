"""The pure parts of benchmarks/analysis_speed.py: reading a child's result, ratios, missing peers, the explanation
of a peer's total, and issue 7's checks. No timing is asserted here (timings live in benchmarks/)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from _speed_checks import Results, Summary, all_checks, check_fvcore, check_rss, check_warm, summarise  # noqa: E402
from _speed_harness import (  # noqa: E402
    CASES,
    PEERS,
    Outcome,
    agreement,
    available_peers,
    parse_result,
    ratio,
    rss_mb,
)
from _speed_report import render  # noqa: E402

# archcost's breakdown of GoogLeNet at 3x224x224 (paper Table 1 layout), by hand:
# global pool 1024x7x7 -> 1024: 50,176 adds + 1,024 divs; conv and fc biases add 3,227,160 outputs in total.
GOOGLENET = {"macs": 1_582_671_872, "bias_adds": 3_227_160, "batch_norm": 0, "other_norm": 0,
             "module_global_pool": 51_200, "avg_pool_divs": 0, "fvcore_ops": 1_582_722_048,
             "batchnorm_params_x_batch": 0}


def test_parse_result_takes_the_last_result_line_among_chatter() -> None:
    stdout = "[INFO] Register count_convNd\nBENCH_RESULT {\"macs\": 1}\nwarning\nBENCH_RESULT {\"macs\": 2}\n"
    assert parse_result(stdout) == {"macs": 2}


@pytest.mark.parametrize("stdout", ["", "no result here\n", "BENCH_RESULT {not json\n", "BENCH_RESULT [1, 2]\n"])
def test_parse_result_without_a_valid_line_is_none(stdout: str) -> None:
    assert parse_result(stdout) is None


def test_ratio_and_rss_conversion() -> None:
    assert ratio(12.0, 3.0) == 4.0
    assert ratio(None, 3.0) is None and ratio(1.0, None) is None and ratio(1.0, 0.0) is None
    assert rss_mb(1_000_000) == 1_024.0  # ru_maxrss is KiB: 1,000,000 KiB = 1,024,000,000 bytes
    assert rss_mb(None) is None


def test_missing_peers_are_named_and_flop_counter_needs_nothing_but_torch() -> None:
    installed = {"fvcore", "thop"}
    available, missing = available_peers(lambda name: object() if name in installed else None)
    assert available == ["flop_counter", "thop", "fvcore"]
    assert missing == ["ptflops", "torchinfo"]
    assert available_peers(lambda name: None) == (["flop_counter"], ["ptflops", "thop", "torchinfo", "fvcore"])


def test_fixed_set_is_issue_7s() -> None:
    assert [c.label for c in CASES] == ["googlenet", "resnet50-v1.5", "vgg16@224", "vgg16@1024",
                                        "efficientnet-b7@600", "resnet1202", "preact-resnet1001",
                                        "inception-resnet-v1"]
    vgg = next(c for c in CASES if c.label == "vgg16@1024")
    assert '"input": [1, 3, 1024, 1024]' in vgg.spec("archcost", (3, 1024, 1024))
    assert '"overrides": {"input_size": 1024}' in vgg.spec("archcost", (3, 1024, 1024))


@pytest.mark.parametrize(("peer", "peer_macs", "difference", "residual"), [
    ("flop_counter", 1_582_671_872, 0, 0),
    ("ptflops", 1_585_899_032, 3_227_160, 0),  # + every conv and fc bias
    ("torchinfo", 1_585_899_032, 3_227_160, 0),  # no BatchNorm in the paper's GoogLeNet
    ("thop", 1_582_723_072, 51_200, 0),  # global pool: 50,176 inputs + 1,024 outputs
    ("fvcore", 1_582_722_048, 50_176, 0),  # global pool: one per input element
    ("thop", 1_582_723_073, 51_201, 1),  # one op nobody can account for stays visible
])
def test_agreement_explains_the_difference_with_archcosts_pieces(peer: str, peer_macs: int, difference: int,
                                                                 residual: int) -> None:
    agreed = agreement(peer, peer_macs, GOOGLENET)
    assert agreed.difference == difference
    assert agreed.residual == residual
    text = agreed.explain()
    if difference == 0:
        assert text == "identical"
    elif residual == 0:
        assert text.endswith("(explained exactly)") and f"{difference:+,}" in text
    else:
        assert "unexplained +1" in text


def test_agreement_charges_thop_twice_archcosts_batch_norm() -> None:
    # ResNet-50 v1.5 as measured: thop 4,133,742,592 = MACs + 4 x 11,113,984 BN elements + 2048 x (49 + 1) pool.
    breakdown = {**GOOGLENET, "macs": 4_089_184_256, "batch_norm": 22_227_968, "module_global_pool": 102_400}
    agreed = agreement("thop", 4_133_742_592, breakdown)
    assert agreed.residual == 0
    assert agreed.parts == {"2 x batch_norm": 44_455_936, "module_global_pool": 102_400, "avg_pool_divs": 0}


def test_agreement_for_fvcore_splits_norm_from_pooling() -> None:
    # ResNet-50: 53 BatchNorms over 11,113,984 elements, 2 ops each; global pool 2048x7x7.
    breakdown = {**GOOGLENET, "macs": 4_089_184_256, "batch_norm": 22_227_968, "fvcore_ops": 4_111_512_576}
    agreed = agreement("fvcore", 4_111_512_576, breakdown)
    assert agreed.residual == 0
    assert agreed.parts == {"norm": 22_227_968, "adaptive pool": 100_352}


def _outcome(wall_s: float, rss_kib: int = 300_000, **result: object) -> Outcome:
    return Outcome("ok", wall_s, rss_kib, dict(result), cpu_s=wall_s)


def test_summarise_takes_medians_and_reports_the_first_failure() -> None:
    summary = summarise([_outcome(3.0, 100), _outcome(1.0, 300), _outcome(2.0, 200, macs=7)])
    assert (summary.status, summary.wall_s, summary.maxrss_kib, summary.result) == ("ok", 2.0, 200, {"macs": 7})
    failed = summarise([_outcome(1.0), Outcome("timeout", 120.5, 5_000_000)])
    assert (failed.status, failed.wall_s) == ("timeout", 120.5)
    assert summarise([]).status == "not run"


def _results() -> Results:
    results = Results(machine={"CPU": "test"}, cases=["vgg16@1024", "efficientnet-b7@600"],
                      tools=["archcost", "flop_counter", "fvcore"], devices={"archcost": "meta",
                                                                             "flop_counter": "meta", "fvcore": "cpu"})
    results.baseline = [Outcome("ok", 1.0, 200_000), Outcome("ok", 1.2, 210_000), Outcome("ok", 0.9, 190_000)]
    results.cold[("vgg16@1024", "archcost")] = Summary(
        "ok", 2.0, 250_000, {"macs": 1, "phases_s": {"import": 1.5, "build+count": 0.25}}, cpu_s=1.5)
    results.cold[("vgg16@1024", "fvcore")] = Summary(
        "ok", 30.0, 9_000_000, {"macs": 1, "phases_s": {"import": 1.5, "build": 20.0, "count": 8.0}}, cpu_s=18.0)
    results.cold[("efficientnet-b7@600", "archcost")] = Summary("ok", 3.0, 320_000, {"macs": 1})
    results.cold[("efficientnet-b7@600", "fvcore")] = Summary("timeout", 120.0, 2_000_000)
    for case, ours, theirs in (("vgg16@1024", 0.05, 0.06), ("efficientnet-b7@600", 0.5, 0.4)):
        results.warm[case] = Outcome("ok", 5.0, 1, {"median_s": {"archcost": ours, "archcost_by_name": ours, "flop_counter": theirs},
                                                    "first_s": {"archcost": 1.0, "flop_counter": 0.1},
                                                    "reps": 5, "breakdown": {**GOOGLENET, "macs": 1}})
    return results


def test_checks_read_the_measurements() -> None:
    results = _results()
    warm = check_warm(results)
    assert warm.passed is False and "efficientnet-b7@600 500 ms > 400 ms" in warm.detail
    fvcore = check_fvcore(results)  # 30/2 = 15x; a timeout at 120 s over 3 s proves >= 40x
    assert fvcore.passed is True and "vgg16@1024 15.0x" in fvcore.detail and ">= 40.0x" in fvcore.detail
    assert "CPU time 12.0x" in fvcore.detail  # 18 s / 1.5 s, shown beside the wall-time verdict
    rss = check_rss(results)  # baseline median 200,000 KiB = 204.8 MB; worst 320,000 KiB = 327.68 MB: +123 MB
    assert rss.passed is False and "worst efficientnet-b7@600 +123 MB" in rss.detail


def test_fvcore_check_in_process_compares_build_and_count_only() -> None:
    check = check_fvcore(_results(), basis="in-process")
    # vgg16@1024: (20 + 8) / 0.25 = 112x; efficientnet-b7@600 timed out, so it has no phases to compare.
    assert check.passed is None
    assert "vgg16@1024 112.0x (28.00 s / 0.25 s)" in check.detail
    assert "efficientnet-b7@600: not measured (fvcore timeout)" in check.detail


def test_a_short_timeout_leaves_the_fvcore_check_undecided() -> None:
    results = _results()
    results.cold[("efficientnet-b7@600", "fvcore")] = Summary("timeout", 20.0, 2_000_000)
    assert check_fvcore(results).passed is None  # 20/3 < 10x, but fvcore was still running


def test_unmeasured_checks_are_not_passes() -> None:
    results = Results(machine={}, cases=[], tools=["archcost"])
    verdicts = {c.name.split(" ")[0]: c.passed for c in all_checks(results)}
    assert not any(v is True for v in verdicts.values())


def test_report_names_missing_peers_and_unregistered_models() -> None:
    results = _results()
    results.missing_peers = ["thop"]
    results.unregistered = {"inception-resnet-v1": "inception-resnet-v1"}
    text = render(results, all_checks(results), command="python benchmarks/analysis_speed.py",
                  limits={"timeout_s": 120.0, "memory_cap_gb": 16.0, "repeat": 1})
    assert "Not installed, not measured: thop" in text
    assert "`inception-resnet-v1` is not registered yet" in text
    assert "timeout (> 120 s)" in text
    assert "| vgg16@1024 | archcost (paper) | meta | 1 |" in text
    assert set(PEERS) >= {"flop_counter", "fvcore"}


def test_cached_bytecode_mode_lifts_dont_write_and_sets_a_cache_outside_the_tree() -> None:
    from _speed_harness import bytecode_env

    shell = {"PATH": "/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    assert bytecode_env(shell, "cached", "/tmp/cache") == {"PATH": "/bin", "PYTHONPYCACHEPREFIX": "/tmp/cache"}
    assert bytecode_env(shell, "as-is", "/tmp/cache") == shell
    with pytest.raises(ValueError):
        bytecode_env(shell, "fresh", "/tmp/cache")
