"""The busy-machine warning and the progress events, on simulated load figures and a fake clock (nothing timed)."""

from __future__ import annotations

import json

import pytest
from bench_tiny import Tiny, idle_machine  # noqa: F401  (autouse: simulated idle load)

import archcost.timing
from archcost.timing import harness
from archcost.timing.clock import sample, warm_up
from archcost.timing.load import COV_LIMIT, assess
from archcost.cli import run

FAST = {"warmup": 0, "max_warmup_s": 0.0, "min_time_s": 0.0, "min_runs": 4}
STEADY = {"arch": "resnet50", "batch": 1, "warmup_stable": True, "cov": 0.01}


def test_the_issue_case_two_threads_on_a_loaded_two_core_machine_suggests_one_thread() -> None:
    load = assess(1.0, 2, 2, [STEADY])  # another job holds one of two cores; torch's default is two threads
    assert load.busy
    assert "--threads 1" in load.advice and "--isolate" in load.advice
    line = load.warning()
    assert line is not None and "\n" not in line and "1.00" in line and "2 usable cores" in line


@pytest.mark.parametrize(("load_1min", "cores", "threads", "suggested"),
                         [(3.0, 8, 8, 5), (6.2, 8, 4, 2), (2.0, 2, 2, 1), (9.0, 4, 4, 1)])
def test_the_suggested_threads_fit_in_the_free_cores(load_1min: float, cores: int, threads: int,
                                                     suggested: int) -> None:
    load = assess(load_1min, cores, threads)
    assert load.busy and f"--threads {suggested} " in load.advice


@pytest.mark.parametrize(("load_1min", "cores", "threads"), [(0.3, 2, 2), (1.0, 2, 1), (3.0, 16, 8), (None, 2, 2)])
def test_an_idle_machine_or_threads_that_fit_is_not_busy(load_1min: float | None, cores: int, threads: int) -> None:
    load = assess(load_1min, cores, threads, [STEADY])
    assert not load.busy and load.warning() is None and load.reason is None


def test_unstable_windows_count_as_busy_even_at_low_load() -> None:
    drifting = {**STEADY, "warmup_stable": False, "warmup_runs": 3 + 4 * 3}  # four windows past 3 minimum calls
    noisy = {**STEADY, "batch": 8, "cov": COV_LIMIT * 1.5}
    load = assess(0.0, 2, 1, [drifting, noisy, STEADY], warmup=3, window=3)
    assert load.busy and "2 of 3" in load.reason and "resnet50 batch 8" in load.reason
    assert "--isolate" in load.advice
    assert not assess(0.0, 2, 1, [{**STEADY, "cov": COV_LIMIT}]).busy  # the limit itself is still stable
    cut_short = {**drifting, "warmup_runs": 3 + 3}  # --max-warmup too small for four windows: not the machine's fault
    assert not assess(0.0, 2, 1, [cut_short], warmup=3, window=3).busy


def test_results_carry_the_load_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness, "read_load", lambda: (1.5, 2))
    document = archcost.bench(Tiny(), input_shape="3x8x8", threads=2, **FAST).to_dict()
    load = document["load"]
    assert (load["load_1min"], load["cores"], load["threads"]) == (1.5, 2, 2)
    assert load["busy"] is True and "--threads 1" in load["advice"]
    json.dumps(document)


def test_the_cli_prints_one_warning_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(harness, "read_load", lambda: (1.2, 2))
    code = run(["bench", "resnet20", "--input", "3x8x8", "--min-time", "0", "--min-runs", "3", "--warmup", "0",
                "--max-warmup", "0", "--threads", "2", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0
    warnings = [line for line in captured.err.splitlines() if line.startswith("archcost: warning: busy machine")]
    assert len(warnings) == 1 and "--threads 1" in warnings[0]
    assert json.loads(captured.out)["load"]["busy"] is True


def test_no_warning_when_idle(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(harness, "read_load", lambda: (0.0, 2))
    run(["bench", "resnet20", "--input", "3x8x8", "--min-time", "0", "--min-runs", "3", "--warmup", "0",
         "--max-warmup", "0", "--threads", "1", "--format", "json"])
    assert "warning" not in capsys.readouterr().err


class FakeClock:
    """Each call 'takes' the next scripted time and advances the fake time by it."""

    name = "fake"

    def __init__(self, times_ms: list[float]) -> None:
        self.times_ms, self.seconds = list(times_ms), 0.0

    def now(self) -> float:
        return self.seconds

    def time_call(self, fn: object) -> float:
        ms = self.times_ms.pop(0)
        self.seconds += ms / 1e3
        return ms


def test_warm_up_reports_every_window_with_its_share_of_the_budget() -> None:
    # 3 minimum calls, then windows of 3: medians 100, 50, 30, 29 ms; the last two agree within 5%.
    clock = FakeClock([100.0] * 3 + [100.0] * 3 + [50.0] * 3 + [30.0] * 3 + [29.0] * 3)
    events: list[tuple[str, int, float]] = []
    report = warm_up(lambda: None, clock, minimum=3, window=3, stability=0.05, budget_s=1.0,
                     progress=lambda *e: events.append(e), now=clock.now)
    assert report.stable and report.runs == 15
    assert [e[:2] for e in events] == [("warmup", 3), ("warmup", 6), ("warmup", 9), ("warmup", 12), ("warmup", 15)]
    fractions = [e[2] for e in events]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions[1:4] == pytest.approx([0.3, 0.45, 0.54])  # 0.3 s, 0.45 s, 0.54 s of the 1 s window budget
    assert fractions == sorted(fractions)


def test_sampling_reports_every_window_by_the_slower_condition() -> None:
    clock = FakeClock([125.0] * 12)  # 0.125 s is exact in binary, so 8 calls make exactly the 1 s minimum
    events: list[tuple[str, int, float]] = []
    samples = sample(lambda: None, clock, min_time_s=1.0, min_runs=4, max_runs=100, window=3,
                     progress=lambda *e: events.append(e), now=clock.now)
    assert len(samples) == 8
    assert events == [("measure", 3, 0.375), ("measure", 6, 0.75), ("measure", 8, 1.0)]


def test_the_harness_forwards_progress_between_start_and_result() -> None:
    events: list[tuple[str, dict]] = []
    archcost.bench(Tiny(), input_shape="3x8x8", batches=(1, 2), threads=1,
                   observer=lambda event, payload: events.append((event, payload)),
                   warmup=3, max_warmup_s=0.0, min_time_s=0.0, min_runs=6)
    kinds = [e for e, _ in events]
    first_result = kinds.index("result")
    assert kinds[0] == "start" and "progress" in kinds[1:first_result]
    phases = [p["phase"] for e, p in events[:first_result] if e == "progress"]
    assert phases.index("measure") > 0 and set(phases[: phases.index("measure")]) == {"warmup"}
    assert all(p["batch"] == 1 for e, p in events[:first_result] if e == "progress")
    last = [p for e, p in events[:first_result] if e == "progress"][-1]
    assert (last["phase"], last["fraction"]) == ("measure", 1.0)


def test_the_progress_bar_moves_within_a_measurement() -> None:
    from archcost.cli.bench import _Progress

    bar = _Progress(total=2)
    task = bar.bar.tasks[0]
    bar.observe("start", {"arch": "x", "batch": 1})
    bar.observe("progress", {"arch": "x", "batch": 1, "phase": "warmup", "runs": 3, "fraction": 0.5})
    assert task.completed == pytest.approx(0.15)
    bar.observe("progress", {"arch": "x", "batch": 1, "phase": "measure", "runs": 9, "fraction": 0.5})
    assert task.completed == pytest.approx(0.65)
    bar.observe("result", {"arch": "x", "batch": 1})
    bar.observe("progress", {"arch": "x", "batch": 8, "phase": "measure", "runs": 3, "fraction": 1.0})
    assert task.completed == pytest.approx(2.0) and "measuring, 3 calls" in task.description
