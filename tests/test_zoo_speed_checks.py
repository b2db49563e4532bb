"""The pure parts of benchmarks/zoo_speed.py and benchmarks/train_speed.py: issue 22's checks over given figures,
and the switch that takes the training kernels out (and puts them back). No timing is asserted here."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from _train_speed_report import render as render_train  # noqa: E402
from _train_speed_report import verdict  # noqa: E402
from _zoo_speed_report import CliTimes, NetworkTimes, checks, render  # noqa: E402
from train_speed import without_training_kernels  # noqa: E402

from archcost.counting import meta_kernels  # noqa: E402


def _network(name: str, ours: float, theirs: float, train: float, step: float) -> NetworkTimes:
    medians = {"archcost": ours, "flop_counter": theirs, "archcost train": train,
               "flop_counter forward+backward": step}
    return NetworkTimes(name, "1x3x32x32", dict(medians), medians)


def test_inference_check_names_every_network_not_faster() -> None:
    networks = [_network("a", 0.1, 0.4, 0.3, 1.0), _network("deep", 0.5, 0.4, 0.6, 1.0)]
    first, train = checks(networks, [], "old")
    assert first.startswith("FAIL") and "1/2" in first and "deep 1.25x" in first
    # train ratios 0.3 and 0.6: median 0.45
    assert train.startswith("PASS") and "0.45x" in train and "range 0.30-0.60x" in train


def test_train_check_fails_above_one_and_a_half() -> None:
    networks = [_network(n, 0.1, 0.2, 1.6, 1.0) for n in "abc"]
    assert checks(networks, [], "old")[1].startswith("FAIL")
    assert checks(networks, [], "old")[0].startswith("PASS")


def test_cli_check_allows_five_percent_of_cpu_time_and_no_more() -> None:
    within = CliTimes("archcost --help", {"this checkout": (0.2, 0.104), "old": (0.1, 0.10)})  # wall is not read
    beyond = CliTimes("archcost --help", {"this checkout": (0.10, 0.106), "old": (0.10, 0.10)})
    assert checks([], [within], "old")[-1].startswith("PASS")
    assert checks([], [beyond], "old")[-1].startswith("FAIL")
    text = render({"cores": "2"}, [_network("a", 0.1, 0.4, 0.3, 1.0)], [within], command="c", old="old")
    assert "| a | 1x3x32x32 | 0.1000 | 0.4000 | 0.25 |" in text


def test_pay_or_go_verdict() -> None:
    warm = {"a": {"inference": 0.1, "train": 0.3, "train without": 1.0},  # saves 70 %
            "b": {"inference": 0.1, "train": 0.95, "train without": 1.0}}  # saves 5 %
    cold = {"a": {"on": (5.0, 2.0), "off": (5.5, 2.2)}}  # 0.2 s CPU
    lines = verdict(warm, cold, (0.10, 0.3))
    assert lines[0].startswith("PAYS") and "38 %" in lines[0]  # median of 70 % and 5 %
    assert lines[2].startswith("DOES NOT PAY") and "0.20 s" in lines[2]
    args = argparse.Namespace(threads=1, repeats=3, cold_runs=1)
    text = render_train(warm, cold, command="c", loads=((1, 1, 1), (1, 1, 1)), torch_version="t", args=args,
                        pays=(0.10, 0.3))
    assert "| a | 0.1000 | 0.3000 | 3.00 | 1.0000 | 70 % |" in text


def test_without_training_kernels_leaves_training_ops_to_torch_and_restores_them() -> None:
    x = torch.empty(2, 3, 4, 4, device="meta")
    grad = torch.empty(2, 3, 4, 4, device="meta")
    args = (grad, x, 0)
    before = dict(meta_kernels.KERNELS)
    assert meta_kernels.run("threshold_backward", args, {}) is not None
    with without_training_kernels():
        assert meta_kernels.run("threshold_backward", args, {}) is None
        bn = (x, None, None, torch.empty(3, device="meta"), torch.empty(3, device="meta"), True, 0.1, 1e-5)
        assert meta_kernels.run("native_batch_norm", bn, {}) is None
        assert meta_kernels.run("relu", (x,), {}) is not None  # inference kernels stay
    assert meta_kernels.KERNELS == before
