"""One test per adapter of archcost/torch_compat.py: each calls the private torch API on the installed torch and
checks what archcost relies on, so a torch release that moves or changes one fails here by name. CI runs this file on
both torch versions it tests (.ci/run)."""

from __future__ import annotations

import torch

from archcost import torch_compat


def test_dispatch_mode_sees_aten_ops() -> None:
    seen = []

    class Spy(torch_compat.TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            seen.append(func.overloadpacket.__name__)
            return func(*args, **(kwargs or {}))

    with Spy():
        torch.ones(2, 3, device="meta").add(1)
    assert "add" in seen


def test_disable_torch_dispatch_hides_ops_from_a_mode() -> None:
    seen = []

    class Spy(torch_compat.TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            seen.append(func)
            return func(*args, **(kwargs or {}))

    x = torch.ones(2, device="meta")
    with Spy(), torch_compat.disable_torch_dispatch():
        x.mul(2)
    assert seen == []


def test_disable_torch_function_ignores_the_device_context() -> None:
    with torch.device("meta"):
        with torch_compat.disable_torch_function():
            plain = torch.empty(2)
        inside = torch.empty(2)
    assert plain.device.type == "cpu" and inside.is_meta


def test_is_view() -> None:
    x = torch.ones(4, 4, device="meta")
    assert torch_compat.is_view(x[1]) and torch_compat.is_view(x.t()) and not torch_compat.is_view(x)


def test_make_subclass_makes_a_parameter_of_the_tensor() -> None:
    data = torch.empty(3, 2, device="meta")
    p = torch_compat.make_subclass(torch.nn.Parameter, data, False)
    assert type(p) is torch.nn.Parameter and p.shape == (3, 2) and p.is_meta and not p.requires_grad


def test_sdpa_switches_round_trip() -> None:
    switches = torch_compat.sdpa_switches()
    assert len(switches) >= 2  # flash and memory-efficient exist in every torch archcost supports
    for getter, setter in switches:
        was = getter()
        try:
            setter(not was)
            assert getter() is (not was)
        finally:
            setter(was)
    math_was = torch_compat.math_sdpa_enabled()
    try:
        torch_compat.set_math_sdpa(not math_was)
        assert torch_compat.math_sdpa_enabled() is (not math_was)
    finally:
        torch_compat.set_math_sdpa(math_was)


def test_never_compiled_marks_the_wrapped_dispatch() -> None:
    class Mode(torch_compat.TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))

    torch_compat.never_compiled(Mode)
    original = getattr(Mode.__dict__["__torch_dispatch__"], "__wrapped__", None)
    if original is not None:  # the torch versions CI tests wrap it; the mark must then be set
        assert getattr(original, "__dynamo_disable") is original
    with Mode():
        assert torch.ones(1, device="meta").add(1).is_meta
