"""``archcost profile``: measure this device's kernel kinds once and fit the latency model's parameters.

Every microbenchmark runs through the benchmark harness's clock (``archcost.timing.clock``: perf_counter_ns on CPU,
CUDA events on CUDA) and takes the best of at least ``RUNS`` calls and ``SAMPLE_S`` seconds after two warm-up
calls, in each of ``PASSES`` passes through the whole list: the best, as ``timing/peak.py`` does, because a kernel's
own speed is what the model needs, and on a shared machine the median of such short calls reads the neighbours'
load. What is fitted, per kind (``model.py`` reads it):
- overhead_s: the best time of a tiny call of the kind (dispatch, primitive set-up);
- compute kinds: efficiency at each grid point = MACs / ((t - overhead) x GEMM peak MAC/s), over a grid of reduction
  depth (channels per group, K, head dim) x output positions, sized as networks are (the largest calls are shrunk to
  at most ``MAX_MACS``, which keeps a profile within a couple of minutes on a 2-core CPU);
- memory kinds: the fraction of the copy bandwidth reached at working sets of 16 KiB to 64 MiB;
- module_overhead_s: per module call, a chain of small real layers less its ops alone (Python's share of an
  eager forward, and what a chain of different kernels loses against one repeated);
- first_touch_bytes_per_s: how fast fresh pages are written (CPU), for outputs the allocator maps anew;
- transcendental_relative: each transcendental function's time against sigmoid's (the curve's own function);
- in_network_factors: how much slower the compute and the memory-and-overhead parts of generated networks, timed
  last, run than the kernel-only model predicts (``calibrate.py``): their medians against the kernels' best calls.
Peak and bandwidth are ``archcost.timing.peak``'s (GEMM and copy).
"""

from __future__ import annotations

import functools
import itertools
import math
import platform
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import torch
import torch.nn.functional as F

from archcost.timing.clock import clock_for, sample
from archcost.predict.kinds import COMPUTE_KINDS, FREE_KIND, MEMORY_KINDS
from archcost.predict.profile import SCHEMA
from archcost.prepare import DTYPES

RUNS = 5
SAMPLE_S = 0.04
MAX_MACS = 4e8
CONV_CHANNELS = (3, 16, 64, 256, 1024)
POSITIONS = (49, 784, 3136, 12544)
NATIVE_POSITIONS = (4, 16, 64, 256, 1024)
NATIVE_1X1_POSITIONS = (4, 16, 64, 256, 1024, 3136, 12544)
SMALL_INPUT = 20480  # torch's oneDNN threshold for one sample (kinds.py)
ROTATE_BYTES = 32 * 2**20  # calls cycle through copies of their tensors up to this many bytes, at most ROTATE_MAX
ROTATE_MAX = 16
PASSES = 2  # passes through every microbenchmark; each point keeps its best
GROUP_CHANNELS = (4, 8, 16, 64)
DEPTHWISE_CHANNELS = (16, 64, 256, 1024)
MATMUL_K = (16, 64, 256, 1024, 4096)
MATMUL_ROWS = (1, 8, 64, 512, 4096)
HEAD_DIMS = (32, 64, 128)
ATTENTION_POSITIONS = (128, 1024, 8192)  # 8 heads x L of 16, 128, 1024
POOL_TAPS = (4, 9)  # 2x2 and 3x3 windows
POOL_OUTPUTS = (3136, 50176, 200704, 802816)  # 64 channels of 7x7 to 112x112
# Every output stays under glibc's largest mmap threshold (a copy's output is half its bytes moved), so no point
# pays the new-pages cost the model charges apart (FRESH_THRESHOLD_BYTES).
MEMORY_BYTES = (2**14, 2**18, 2**22, 2**25)
Progress = Callable[[int, int, str], None]  # (done, total, what)


def _seconds(fn: Callable[[], Any], device: str) -> float:
    clock = clock_for(device)
    clock.time_call(fn)
    clock.time_call(fn)
    return min(sample(fn, clock, min_time_s=SAMPLE_S, min_runs=RUNS, max_runs=1000)) / 1e3


def _tensor(shape: tuple[int, ...], device: str, dtype: torch.dtype) -> torch.Tensor:
    return torch.randn(shape, device=device, dtype=dtype)


def _rotating(fn: Callable[..., Any], make: Callable[[], tuple], nbytes: int) -> Callable[[], Any]:
    """``fn`` on a new copy of its tensors each call (cycling through up to ROTATE_MAX copies of at most
    ROTATE_BYTES in all): in a network each layer reads activations and weights no earlier call left in the
    nearest caches, so a microbenchmark that reads the same small tensors again would be too fast."""
    copies = max(1, min(ROTATE_MAX, ROTATE_BYTES // max(1, nbytes)))
    cycle = itertools.cycle([make() for _ in range(copies)])
    return lambda: fn(*next(cycle))


def _dense_outputs(channels: int) -> int:
    """A dense grid point's output channels: as many as its inputs, as most of a network's convolutions have (a
    GEMM's speed depends on that N too: 16 -> 16 channels ran at half the speed of 16 -> 32 in the native path);
    a stem's 3 inputs feed 32, and at most 512 keep the big points' output planes from shrinking to nothing."""
    return 32 if channels < 16 else min(channels, 512)


def _conv_case(kind: str, channels: int, positions: int) -> tuple[tuple[int, int, int, int], int]:
    """(C_in, C_out, kernel, groups) and the side of the square output a grid point is measured at."""
    if kind.startswith("conv_depthwise"):
        shape = (channels, channels, int(kind[-1]), channels)
    elif kind.endswith("native"):
        shape = (channels, _dense_outputs(channels), 1 if kind == "conv1x1_native" else 3, 1)
    elif kind == "conv_grouped":
        shape = (32 * channels, 32 * channels, 3, 32)
    else:
        side = int(kind[4])
        shape = (channels, _dense_outputs(channels), side, 1)
    c_in, c_out, k, groups = shape
    per_position = k * k * (c_in // groups) * c_out
    if kind == "conv_native" or (kind == "conv1x1_native" and torch.get_num_threads() > 1):
        # the input stays within the native path's 20,480 elements (kinds.py)
        return shape, max(1, min(round(math.sqrt(positions)), math.isqrt(SMALL_INPUT // c_in)))
    if kind == "conv1x1_native":  # one thread: every unstrided 1x1 of one sample takes it
        return shape, max(1, min(round(math.sqrt(positions)), math.isqrt(max(1, int(MAX_MACS // per_position)))))
    measured = max(49, min(positions, int(MAX_MACS // per_position)))
    return shape, max(7, round(math.sqrt(measured)))


def _conv_call(shape: tuple[int, int, int, int], side: int, device: str, dtype: torch.dtype,
               batch: int = 1) -> tuple[Callable, int]:
    c_in, c_out, k, groups = shape
    size = torch.tensor([], dtype=dtype).element_size()
    nbytes = size * (batch * c_in * side * side + c_out * (c_in // groups) * k * k)

    def make() -> tuple:
        return (_tensor((batch, c_in, side, side), device, dtype), _tensor((c_out, c_in // groups, k, k), device, dtype),
                _tensor((c_out,), device, dtype))

    call = _rotating(lambda x, w, b: F.conv2d(x, w, b, padding=k // 2, groups=groups), make, nbytes)
    return call, k * k * (c_in // groups) * c_out * side * side * batch


def _matmul_call(k: int, rows: int, device: str, dtype: torch.dtype) -> tuple[Callable, int]:
    n = min(max(k, 64), 1024)
    rows = max(1, min(rows, int(MAX_MACS // (k * n))))
    size = torch.tensor([], dtype=dtype).element_size()

    def make() -> tuple:
        return _tensor((rows, k), device, dtype), _tensor((n, k), device, dtype), _tensor((n,), device, dtype)

    return _rotating(F.linear, make, size * (rows * k + n * k)), rows * k * n


def _attention_call(head_dim: int, positions: int, device: str, dtype: torch.dtype) -> tuple[Callable, int]:
    length = positions // 8
    q, k, v = (_tensor((1, 8, length, head_dim), device, dtype) for _ in range(3))
    return (lambda: F.scaled_dot_product_attention(q, k, v)), 2 * 8 * length * length * head_dim


TRANSCENDENTAL_ELEMENTS = 2**20
# The transcendental curve is measured with sigmoid; these run at their own speed (one thread here: tanh 3.4x
# sigmoid's time, erf 1.7x, gelu and silu about 1x). Names as kinds.classify gives them (the aten op's name).
TRANSCENDENTAL_FUNCTIONS: dict[str, Callable[[torch.Tensor], Any]] = {
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "gelu": F.gelu, "silu": F.silu, "exp": torch.exp, "erf": torch.erf,
    "log": torch.log, "_softmax": lambda x: torch.softmax(x.view(1024, -1), -1), "elu": F.elu,
    "softplus": F.softplus, "mish": F.mish}


def _transcendental_relative(device: str, dtype: torch.dtype) -> dict[str, float]:
    """Each function's best time on one tensor of TRANSCENDENTAL_ELEMENTS over sigmoid's."""
    x = _tensor((TRANSCENDENTAL_ELEMENTS,), device, dtype).abs() + 0.5  # log of a positive number
    seconds = {name: _seconds(functools.partial(f, x), device) for name, f in TRANSCENDENTAL_FUNCTIONS.items()}
    return {name: s / seconds["sigmoid"] for name, s in seconds.items()}


def _memory_call(kind: str, nbytes: int, device: str, dtype: torch.dtype) -> tuple[Callable, int]:
    """A typical op of ``kind`` whose traced bytes (inputs + output) are about ``nbytes``; returns its bytes."""
    size = torch.tensor([], dtype=dtype).element_size()
    channels = 64
    side = max(4, round(math.sqrt(nbytes / (2 * channels * size))))
    n = channels * side * side
    image = (1, channels, side, side)
    fn: Callable[..., Any]
    shapes: list[tuple[int, ...]]
    if kind == "elementwise":
        n = max(16, nbytes // (3 * size))
        fn, shapes, moved = torch.add, [(n,), (n,)], 3 * n * size
    elif kind == "transcendental":
        n = max(16, nbytes // (2 * size))
        fn, shapes, moved = torch.sigmoid, [(n,)], 2 * n * size
    elif kind == "layer_norm":
        rows = max(1, nbytes // (2 * 768 * size))
        fn, shapes, moved = (lambda x, w, b: F.layer_norm(x, (768,), w, b)), [(rows, 768), (768,), (768,)], \
            2 * rows * 768 * size
    elif kind == "batch_norm":
        fn, shapes, moved = (lambda x, m, v, w, b: F.batch_norm(x, m, v.abs(), w, b, training=False)), \
            [image, *[(channels,)] * 4], 2 * n * size
    elif kind == "pool":  # average pooling (max pooling is a kind of its own: max_pool)
        fn, shapes = (lambda x: F.avg_pool2d(x, 2)), [image]
        moved = n * size + channels * (side // 2) ** 2 * size
    elif kind == "reduce":
        fn, shapes, moved = (lambda x: x.mean((2, 3))), [image], n * size
    else:  # copy
        fn, shapes, moved = (lambda x: torch.cat([x, x], 1)), [image], 4 * n * size
    return _rotating(fn, lambda: tuple(_tensor(s, device, dtype) for s in shapes), moved), moved


def _cases(device: str, dtype: torch.dtype) -> Iterator[tuple[str, dict[str, Any], Callable[[], tuple]]]:
    """(kind, grid point, a thunk making (call, MACs or bytes)) for every microbenchmark, tiny calls first."""
    for kind in COMPUTE_KINDS + MEMORY_KINDS:
        yield kind, {"tiny": True}, functools.partial(_tiny, kind, device, dtype)
    for kind in COMPUTE_KINDS:
        for channels, positions in _grid(kind):
            yield kind, {"channels": channels, "positions": positions}, functools.partial(
                _compute_call, kind, channels, positions, device, dtype)
    for kind in MEMORY_KINDS:
        for nbytes in MEMORY_BYTES:
            yield kind, {"bytes": nbytes}, functools.partial(_memory_call, kind, nbytes, device, dtype)


def _grid(kind: str) -> list[tuple[int, int]]:
    channels = {"conv_grouped": GROUP_CHANNELS, "matmul": MATMUL_K, "attention": HEAD_DIMS,
                "max_pool": POOL_TAPS}.get(kind, DEPTHWISE_CHANNELS if kind.startswith("conv_depthwise") else CONV_CHANNELS)
    positions = {"matmul": MATMUL_ROWS, "attention": ATTENTION_POSITIONS, "conv1x1_native": NATIVE_1X1_POSITIONS,
                 "conv_native": NATIVE_POSITIONS, "max_pool": POOL_OUTPUTS}.get(kind, POSITIONS)
    return [(c, p) for c in channels for p in positions]


def _max_pool_call(taps: int, outputs: int, device: str, dtype: torch.dtype) -> tuple[Callable, int]:
    """A 2x2 (4 taps) or 3x3 stride-2 (9 taps) max pool of 64 channels with about ``outputs`` output elements; its
    work is outputs x taps (kinds.work_of)."""
    side = max(1, round(math.sqrt(outputs / 64)))
    window = (2, 2, 0) if taps == 4 else (3, 2, 1)
    size = torch.tensor([], dtype=dtype).element_size()
    call = _rotating(lambda x: F.max_pool2d(x, *window), lambda: (_tensor((1, 64, 2 * side, 2 * side), device, dtype),),
                     size * 64 * 4 * side * side)
    return call, 64 * side * side * taps


def _compute_call(kind: str, channels: int, positions: int, device: str, dtype: torch.dtype) -> tuple[Callable, int]:
    if kind == "max_pool":
        return _max_pool_call(channels, positions, device, dtype)
    if kind == "matmul":
        return _matmul_call(channels, positions, device, dtype)
    if kind == "attention":
        return _attention_call(channels, positions, device, dtype)
    shape, side = _conv_case(kind, channels, positions)
    return _conv_call(shape, side, device, dtype)


def _tiny(kind: str, device: str, dtype: torch.dtype) -> tuple[Callable, int]:
    if kind == "max_pool":
        return _max_pool_call(4, 64, device, dtype)
    if kind == "matmul":
        return _matmul_call(16, 1, device, dtype)
    if kind == "attention":
        return _attention_call(8, 64, device, dtype)
    if kind in COMPUTE_KINDS:
        shape = {"conv_grouped": (32, 32, 3, 32)}.get(kind) or _conv_case(kind, 8, 49)[0]
        # Two samples keep a dense kind on oneDNN, as its grid is (kinds.py: the im2col path takes one sample).
        return _conv_call(shape, 4, device, dtype, batch=1 if kind.endswith("native") else 2)
    return _memory_call(kind, 64, device, dtype)


FRESH_BYTES = 64 * 2**20  # above glibc's largest mmap threshold (32 MiB): every such block is new pages
# glibc starts at a 128 KiB mmap threshold but raises it to the size of each mapped block freed, up to 32 MiB
# (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit): after a forward or two every smaller output is recycled heap memory,
# already touched. Timed per op at one thread, ResNet-18's and MobileNet-v2's layers showed no new-pages cost
# below it (charging from 128 KiB had predicted MobileNet-v2 at 2.4x its time).
FRESH_THRESHOLD_BYTES = 32 * 2**20


def _first_touch_bytes_per_s(device: str) -> float | None:
    """How fast new pages are written: filling a fresh 64 MiB tensor, less filling one that exists (CPU only:
    CUDA's caching allocator hands back memory it already holds)."""
    if device != "cpu":
        return None
    count = FRESH_BYTES // 4
    kept = torch.empty(count)
    kept.fill_(0)
    fresh_s = _seconds(lambda: torch.empty(count).fill_(1), device)
    kept_s = _seconds(lambda: kept.fill_(1), device)
    return FRESH_BYTES / max(fresh_s - kept_s, 1e-9)


CHAIN_BLOCKS = 16
CHAIN_CHANNELS = 16
CHAIN_SIDE = 4


def _module_overhead_s(device: str) -> float:
    """Per module call, what an eager chain of small real layers costs beyond its ops timed alone: a Sequential of
    CHAIN_BLOCKS Conv2d-BatchNorm2d-ReLU blocks on a tiny input, less the same three ops called directly in a loop,
    spread over its module calls. That is Python (each module's call and forward, the functional wrappers) and
    what a chain of different kernels loses against one repeated; an empty Identity call alone (about 1 us here)
    left the small networks predicted at 0.4-0.7 of their time, the chain's figure is about 7 us."""
    channels, side = CHAIN_CHANNELS, CHAIN_SIDE
    convs = [torch.nn.Conv2d(channels, channels, 3, padding=1, bias=False, device=device) for _ in range(CHAIN_BLOCKS)]
    norms = [torch.nn.BatchNorm2d(channels, device=device).eval() for _ in range(CHAIN_BLOCKS)]
    chain = torch.nn.Sequential(*[m for conv, norm in zip(convs, norms)
                                  for m in (conv, norm, torch.nn.ReLU(inplace=True))]).eval()
    x = torch.randn(1, channels, side, side, device=device)
    conv, norm = convs[0], norms[0]
    chain_s = _seconds(lambda: chain(x), device)
    alone_s = (_seconds(lambda: F.conv2d(x, conv.weight, None, 1, 1), device)
               + _seconds(lambda: torch.batch_norm(x, norm.weight, norm.bias, norm.running_mean, norm.running_var,
                                                   False, 0.1, 1e-5, False), device)
               + _seconds(lambda: torch.relu_(x), device))
    empty = torch.nn.Sequential(*[torch.nn.Identity() for _ in range(64)])
    floor_s = _seconds(lambda: empty(x), device) / 65  # an empty call: never less than that
    return max(floor_s, (chain_s - CHAIN_BLOCKS * alone_s) / (3 * CHAIN_BLOCKS + 1))


def _measure_cases(cases: list[tuple[str, dict[str, Any], Callable[[], tuple]]], device: str,
                   tell: Callable[[int, str], None]) -> list[dict[str, Any]]:
    """Every case's measurement, its best over PASSES passes through the whole list: on a shared machine a burst of
    other work spoils a stretch of consecutive cases, and a second pass minutes later rarely meets it again (one
    pass here gave grid points 30 % apart from run to run)."""
    measurements: list[dict[str, Any]] = []
    for round_index in range(PASSES):
        for i, (kind, point, make) in enumerate(cases):
            tell(round_index * len(cases) + i, kind)
            call, amount = make()
            seconds = _seconds(call, device)
            del call  # its tensors (up to ROTATE_BYTES) go before the next case's are made
            if round_index == 0:
                measurements.append({"kind": kind, **point, ("bytes_moved" if kind in MEMORY_KINDS else "macs"):
                                     amount, "seconds": seconds})
            else:
                measurements[i]["seconds"] = min(measurements[i]["seconds"], seconds)
    return measurements


def measure_profile(*, device: str = "cpu", threads: int | None = None, dtype: str = "float32",
                    progress: Progress | None = None) -> dict[str, Any]:
    """Measure every microbenchmark and fit the model: an ``archcost.device-profile/1`` document."""
    from archcost.timing.device import check_device, check_dtype, describe
    from archcost.timing.peak import device_peak
    from archcost.timing.settings import BenchDevice, BenchDtype
    from archcost.predict.calibrate import PASSES as NETWORK_PASSES, measure_networks
    from archcost.predict.generated_networks import NETWORKS
    from archcost.predict.fit import fit, in_network_factors

    bench_device, bench_dtype = BenchDevice(device), BenchDtype(dtype)
    check_device(bench_device)
    saved = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        check_dtype(bench_device, bench_dtype)
        cases = list(_cases(device, DTYPES[dtype]))
        total = PASSES * len(cases) + 2 + NETWORK_PASSES * NETWORKS
        tell = progress or (lambda _done, _total, _what: None)
        tell(0, total, "GEMM and copy peaks")
        peak = device_peak(bench_device, bench_dtype)
        tell(1, total, "module call")
        with torch.inference_mode():
            module_s = _module_overhead_s(device)
            measurements = _measure_cases(cases, device, lambda done, what: tell(done + 2, total, what))
            relative = _transcendental_relative(device, DTYPES[dtype])
            view = torch.zeros(64, device=device)
            measurements.append({"kind": FREE_KIND, "tiny": True, "seconds": _seconds(lambda: view.view(-1), device)})
        first_touch = _first_touch_bytes_per_s(device)
        used_threads = torch.get_num_threads() if device == "cpu" else None
        model = {**fit(measurements, peak_macs_per_s=peak.peak_gflops * 1e9 / 2,
                       bandwidth_bytes_per_s=peak.bandwidth_gb_per_s * 1e9, module_overhead_s=module_s),
                 "threads": used_threads,  # the threads pick torch's CPU kernels (kinds.py)
                 "first_touch_bytes_per_s": first_touch,
                 "fresh_threshold_bytes": FRESH_THRESHOLD_BYTES if first_touch else None,
                 "transcendental_relative": relative}
        networks = measure_networks(model, device, DTYPES[dtype],
                                    lambda done, what: tell(done + 2 + PASSES * len(cases), total, what))
        model["in_network_factors"] = in_network_factors(networks)
        tell(total, total, "done")
        machine = describe(bench_device)
    finally:
        torch.set_num_threads(saved)
    return {
        "schema": SCHEMA, "source": "measured", "name": f"{device}-{used_threads or 1}t-{dtype}",
        "device": device, "machine": {**machine, "platform": platform.platform()}, "torch": torch.__version__,
        "threads": used_threads, "dtype": dtype, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "peak": peak.to_dict(), "measurements": measurements, "networks": networks, "model": model,
    }
