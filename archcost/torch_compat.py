"""Every private torch API archcost uses, behind one small adapter each (issue 14 item 6).

torch may move or rename anything whose name starts with an underscore in any release; tests/test_torch_compat.py
calls each adapter on the installed torch, so a release that moves one fails there by name, not as a wrong figure
elsewhere. CI runs that file on both torch versions it tests (see .ci/run).

One private layout is read in place rather than through an adapter: nn.Module's own tables in its ``__dict__``
(``_parameters``, ``_buffers``, ``_modules``, ``_non_persistent_buffers_set``), read and swapped on the counting
engine's hot paths (counting/params.py, isolation.py, zoo/empty_weights.py), where a call per module would cost;
MODULE_TABLES names them and tests/test_torch_compat.py pins what archcost relies on about them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.nn.modules.module import _IncompatibleKeys
from torch.nn.utils.stateless import _reparametrize_module
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = [
    "current_autograd_node",
    "MODULE_TABLES",
    "TorchDispatchMode",
    "argument_schema",
    "disable_torch_dispatch",
    "disable_torch_function",
    "incompatible_keys",
    "is_view",
    "make_subclass",
    "math_sdpa_enabled",
    "never_compiled",
    "reparametrized",
    "sdpa_switches",
    "set_math_sdpa",
    "set_version",
    "version",
    "storage_key",
    "fused_recurrent_kernels",
    "set_fused_recurrent_kernels",
    "python_dispatcher",
]

# nn.Module's own tables in its __dict__, name -> tensor or None (a registered None) / child module or None.
MODULE_TABLES = ("_parameters", "_buffers", "_modules")

# The SDPA backend switches: (getter, setter) pairs on torch._C, as torch.nn.attention.sdpa_kernel flips them.
SDPA_FLAGS = ("flash", "mem_efficient", "cudnn", "fa3", "overrideable")


def disable_torch_function() -> Any:
    """A context with no __torch_function__ mode or device context active (torch._C.DisableTorchFunction)."""
    return torch._C.DisableTorchFunction()


def disable_torch_dispatch() -> Any:
    """A context in which dispatch modes do not see the ops run (torch._C._DisableTorchDispatch)."""
    return torch._C._DisableTorchDispatch()


def current_autograd_node() -> Any:
    """The autograd node whose backward is running now on this thread (None outside a backward, and while the engine
    runs between nodes without one): torch._C._current_autograd_node."""
    return torch._C._current_autograd_node()


def is_view(tensor: torch.Tensor) -> bool:
    """Whether the tensor shares another's storage as a view (Tensor._is_view)."""
    return tensor._is_view()


make_subclass: Callable[..., torch.Tensor] = torch.Tensor._make_subclass


def storage_key(tensor: torch.Tensor) -> int:
    """One int per storage, shared by its views (StorageImpl's address, UntypedStorage._cdata).

    Not data_ptr(): every meta storage has data pointer 0.
    """
    return tensor.untyped_storage()._cdata


def version(tensor: torch.Tensor) -> int:
    """A tensor's autograd version counter: how many in-place writes it and its views have had (Tensor._version)."""
    return int(tensor._version)


def set_version(tensor: torch.Tensor, version: int) -> None:
    """Set a tensor's autograd version counter, shared with its views (torch._C._autograd._unsafe_set_version_counter,
    what torch.autograd.graph's _unsafe_preserve_version_counter uses). Autograd compares it with the version a
    saved tensor had when a graph saved it: set back after the values are, a graph built before stays usable."""
    torch._C._autograd._unsafe_set_version_counter((tensor,), (version,))


def argument_schema(func: Any) -> list[Any]:
    """The arguments of an op overload's schema (OpOverload._schema.arguments): each has name and alias_info."""
    return list(func._schema.arguments)


def reparametrized(module: torch.nn.Module, tensors: dict[str, torch.Tensor], *, tie_weights: bool) -> Any:
    """A context in which ``module``'s parameters and buffers named in ``tensors`` are those tensors, put back on
    exit, also when the body raises (torch.nn.utils.stateless._reparametrize_module, functional_call's swap; held
    open here so that a backward sees the swap too)."""
    return _reparametrize_module(module, tensors, tie_weights=tie_weights)


def incompatible_keys(missing: list[str], unexpected: list[str]) -> Any:
    """What Module.load_state_dict returns (torch.nn.modules.module._IncompatibleKeys)."""
    return _IncompatibleKeys(missing, unexpected)


def sdpa_switches() -> list[tuple[Callable[[], bool], Callable[[bool], None]]]:
    """The (getter, setter) pairs of the fused SDPA backends this torch has (a newer torch may add one)."""
    switches = []
    for name in SDPA_FLAGS:
        getter = getattr(torch._C, f"_get_{name}_sdp_enabled", None)
        setter = getattr(torch._C, f"_set_sdp_use_{name}", None)
        if getter is not None and setter is not None:
            switches.append((getter, setter))
    return switches


def math_sdpa_enabled() -> bool:
    return bool(torch._C._get_math_sdp_enabled())


def set_math_sdpa(enabled: bool) -> None:
    torch._C._set_sdp_use_math(enabled)


def never_compiled(mode: type[TorchDispatchMode]) -> None:
    """Mark a dispatch mode's __torch_dispatch__ as not-to-be-compiled up front.

    TorchDispatchMode wraps every subclass's __torch_dispatch__ in torch._disable_dynamo, whose first call imports
    torch._dynamo (about a second of a cold start) only to set this mark. archcost's modes are never compiled, so the
    mark is set to the function itself and the import never happens. A torch without the wrapper needs nothing.
    """
    original = getattr(mode.__dict__["__torch_dispatch__"], "__wrapped__", None)
    if original is not None and getattr(original, "__dynamo_disable", None) is None:
        original.__dynamo_disable = original  # type: ignore[attr-defined]


def fused_recurrent_kernels() -> tuple[bool, bool]:
    """Whether oneDNN and cuDNN may run (torch._C's global switches, which torch.backends reads too)."""
    return torch._C._get_mkldnn_enabled(), torch._C._get_cudnn_enabled()


def set_fused_recurrent_kernels(mkldnn: bool, cudnn: bool) -> None:
    torch._C._set_mkldnn_enabled(mkldnn)
    torch._C._set_cudnn_enabled(cudnn)


def python_dispatcher() -> Any:
    """A context in which ops with a Python decomposition run it (torch._dispatch.python.enable_python_dispatcher)."""
    from torch._dispatch.python import enable_python_dispatcher

    return enable_python_dispatcher()
