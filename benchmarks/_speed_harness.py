"""The pure parts of the analysis-speed benchmark, and the one function that runs a child under limits.

Pure (and tested in ``tests/test_benchmark_harness.py``): the fixed set of cases, reading a child's result line,
ratios, which peers are installed, the explanation of a peer's total from archcost's op classes, and the issue-7
checks. :func:`run_child` is the only side effect: a fresh process, watched for time and resident memory.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

RESULT_PREFIX = "BENCH_RESULT "  # the child's last stdout line; see _speed_child.py
BYTES_PER_MB = 1_000_000  # the "100 MB" is read as 10^6 bytes, the stricter reading


@dataclass(frozen=True)
class Case:
    """One model at one input: what every tool is asked to count."""

    label: str
    arch: str  # registry name, as `archcost list` prints it
    input_chw: tuple[int, int, int] | None  # None: the entry's native input
    overrides: Mapping[str, Any] = field(default_factory=dict)  # builder arguments (VGG's classifier width)

    def spec(self, tool: str, input_chw: tuple[int, int, int], **extra: Any) -> str:
        return json.dumps({"tool": tool, "arch": self.arch, "input": [1, *input_chw],
                           "overrides": dict(self.overrides), **extra})


# Issue 7's fixed set. VGG at 1024 sets the builder's input_size: the paper's classifier reads pool5 directly, so its
# first FC layer grows with the input (512*32*32 x 4096 = 2.1 G weights, 8.6 GB on a real device).
CASES: tuple[Case, ...] = (
    Case("googlenet", "googlenet", None),
    Case("resnet50-v1.5", "resnet50-v1.5", (3, 224, 224)),
    Case("vgg16@224", "vgg16", (3, 224, 224)),
    Case("vgg16@1024", "vgg16", (3, 1024, 1024), {"input_size": 1024}),
    Case("efficientnet-b7@600", "efficientnet-b7", (3, 600, 600)),
    Case("resnet1202", "resnet1202", None),
    Case("preact-resnet1001", "preact-resnet1001", None),
    Case("inception-resnet-v1", "inception-resnet-v1", None),
)
QUICK_LABELS: tuple[str, ...] = ("googlenet", "resnet50-v1.5", "vgg16@224")


@dataclass(frozen=True)
class PeerRule:
    """What a peer counts, written in archcost's own pieces (keys of ``_speed_child.breakdown``) with the number of
    the peer's units each piece's elements cost (thop charges 4 per element for an affine BatchNorm, archcost 2)."""

    device: str  # where it runs: meta when it can, else cpu (real tensors)
    parts: tuple[tuple[str, int], ...]  # (piece, factor) beyond plain MACs, which every peer counts
    counts: str  # one line: its convention, for the report


PEER_RULES: dict[str, PeerRule] = {
    "flop_counter": PeerRule("meta", (),
                             "conv/linear/matmul only, 2 FLOPs per MAC (halved here), biases ignored"),
    "ptflops": PeerRule("meta", (("bias_adds", 1),),
                        "aten backend: conv, mm, addmm, bmm; a conv or linear bias adds one MAC per output element"),
    "thop": PeerRule("meta", (("batch_norm", 2), ("module_global_pool", 1), ("avg_pool_divs", 1)),
                     "module hooks: conv/linear without bias; BatchNorm 2 x 2 per element with affine parameters "
                     "(twice fvcore's and archcost's 2); AdaptiveAvgPool in+out elements; AvgPool 1 per output; "
                     "ReLU, max-pool and functional ops 0"),
    "torchinfo": PeerRule("meta", (("bias_adds", 1), ("batchnorm_params_x_batch", 1)),
                          "per module, parameters x output positions: conv/linear biases one MAC per output; "
                          "BatchNorm its 2C parameters once per sample; functional ops unseen"),
    "fvcore": PeerRule("cpu", (("fvcore_ops", 1),),
                       "jit trace on real tensors: MACs + batch/layer norm + adaptive average pooling "
                       "(archcost's 'fvcore' convention)"),
}
PEERS: tuple[str, ...] = tuple(PEER_RULES)
# The module whose presence makes a peer available; flop_counter ships with torch.
PEER_MODULES: dict[str, str | None] = {"flop_counter": None, "ptflops": "ptflops", "thop": "thop",
                                       "torchinfo": "torchinfo", "fvcore": "fvcore"}


def available_peers(find_spec: Callable[[str], Any]) -> tuple[list[str], list[str]]:
    """(available, missing) peers; ``find_spec`` is ``importlib.util.find_spec`` (injected for tests)."""
    available, missing = [], []
    for peer in PEERS:
        module = PEER_MODULES[peer]
        (available if module is None or find_spec(module) is not None else missing).append(peer)
    return available, missing


def parse_result(stdout: str) -> dict[str, Any] | None:
    """The child's result: the last ``BENCH_RESULT`` line (peers print freely before it); None if absent or bad."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            try:
                value = json.loads(line[len(RESULT_PREFIX):])
            except json.JSONDecodeError:
                return None
            return value if isinstance(value, dict) else None
    return None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def rss_mb(maxrss_kib: int | None) -> float | None:
    return None if maxrss_kib is None else maxrss_kib * 1024 / BYTES_PER_MB


@dataclass(frozen=True)
class Agreement:
    """A peer's MAC total against archcost's, and how much of the difference archcost's own pieces account for."""

    peer_macs: float
    archcost_macs: int
    predicted_macs: int  # archcost's figure under the peer's rule
    parts: dict[str, int]  # the pieces beyond plain MACs that the rule adds

    @property
    def difference(self) -> float:
        return self.peer_macs - self.archcost_macs

    @property
    def residual(self) -> float:
        return self.peer_macs - self.predicted_macs

    @property
    def relative_difference(self) -> float:
        return self.difference / self.archcost_macs if self.archcost_macs else 0.0

    def explain(self) -> str:
        if self.difference == 0:
            return "identical"
        terms = " + ".join(f"{name} {value:,}" for name, value in self.parts.items() if value) or "nothing"
        if self.residual == 0:
            return f"{self.difference:+,.0f} = {terms} (explained exactly)"
        return f"{self.difference:+,.0f}; rule predicts {terms}; unexplained {self.residual:+,.0f}"


def agreement(peer: str, peer_macs: float, breakdown: Mapping[str, int]) -> Agreement:
    rule = PEER_RULES[peer]
    norm = breakdown["batch_norm"] + breakdown["other_norm"]
    extra: dict[str, int] = {}
    for name, factor in rule.parts:
        if name == "fvcore_ops":  # MACs + norm + adaptive pooling: split it so the report names each piece
            extra.update({"norm": norm, "adaptive pool": breakdown["fvcore_ops"] - breakdown["macs"] - norm})
        else:
            extra[name if factor == 1 else f"{factor} x {name}"] = factor * breakdown[name]
    predicted = breakdown["macs"] + sum(extra.values())
    return Agreement(peer_macs=peer_macs, archcost_macs=breakdown["macs"], predicted_macs=predicted, parts=extra)


# --- running a child ------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one fresh process did. ``status``: ok, timeout, memory, failed, missing, unregistered."""

    status: str
    wall_s: float | None = None  # from spawn to exit, as the parent saw it; for timeout/memory, time until killed
    maxrss_kib: int | None = None  # peak resident set of the child (wait4), also when it was killed
    result: dict[str, Any] | None = None
    error: str = ""
    cpu_s: float | None = None  # user + system CPU time of the child: less disturbed than wall by a busy machine

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _vm_rss_bytes(pid: int) -> int:
    from archcost.timing.procfs import proc_kib_bytes  # torch-free

    return proc_kib_bytes(f"/proc/{pid}/status", "VmRSS") or 0  # 0: gone or unreadable, so never over the cap


def run_child(argv: Sequence[str], *, timeout_s: float, memory_cap_bytes: int, log_path: str,
              expect_result: bool = True, env: Mapping[str, str] | None = None, poll_s: float = 0.005) -> Outcome:
    """Run ``argv`` in a fresh process; kill it (only it, by pid) past ``timeout_s`` or ``memory_cap_bytes`` RSS.

    stdout/stderr go to ``log_path`` (a pipe could fill and stall the child). wait4 gives the child's own peak RSS.
    Without ``expect_result`` (a plain command, e.g. the CLI) exit code 0 is success.
    """
    with open(log_path, "w+b") as log:
        start = time.perf_counter()
        process = subprocess.Popen(list(argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=None if env is None else dict(env))
        killed_for = ""
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                wall = time.perf_counter() - start
                process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
                break
            elapsed = time.perf_counter() - start
            if not killed_for and elapsed > timeout_s:
                killed_for = "timeout"
            elif not killed_for and memory_cap_bytes and _vm_rss_bytes(process.pid) > memory_cap_bytes:
                killed_for = "memory"
            if killed_for:
                os.kill(process.pid, signal.SIGKILL)
                _, status, usage = os.wait4(process.pid, 0)
                wall = time.perf_counter() - start
                process.returncode = os.waitstatus_to_exitcode(status)
                break
            # Poll fast at first (short runs need precise walls), then relax: watching must not steal a core.
            time.sleep(poll_s if elapsed < 2 else 0.05)
        log.seek(0)
        text = log.read().decode("utf-8", "replace")
    cpu = usage.ru_utime + usage.ru_stime
    if killed_for:
        return Outcome(killed_for, wall, usage.ru_maxrss, cpu_s=cpu)
    result = parse_result(text) if expect_result else {}
    if process.returncode != 0 or result is None:
        tail = [line for line in text.strip().splitlines() if line.strip()][-1:] or [f"exit {process.returncode}"]
        return Outcome("failed", wall, usage.ru_maxrss, None, tail[0][:200], cpu)
    return Outcome("ok", wall, usage.ru_maxrss, result, cpu_s=cpu)


def bytecode_env(environ: Mapping[str, str], mode: str, cache_dir: str) -> dict[str, str]:
    """The children's environment. ``cached``: every module runs from bytecode kept under ``cache_dir``, as a pip
    install leaves it (the installed peers ship theirs; an editable archcost under PYTHONDONTWRITEBYTECODE=1 would
    otherwise recompile its sources in every process). ``as-is``: the environment untouched."""
    env = dict(environ)
    if mode == "cached":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache_dir
    elif mode != "as-is":
        raise ValueError(f"unknown bytecode mode {mode!r}")
    return env


def median(values: Iterable[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def command_line(script: str, argv: Sequence[str]) -> str:
    """The command a report says made it: ``python benchmarks/SCRIPT`` and its arguments, quoted for a shell."""
    return f"python benchmarks/{script} {' '.join(shlex.quote(a) for a in argv)}".strip()


def write_whole(path: Path, text: str) -> None:
    """``text`` into ``path`` through a temporary file renamed into place: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def publish(path: Path, text: str) -> None:
    """A report written whole, then printed."""
    write_whole(path, text)
    print(text, end="")
