"""The saved-tensor trace behind training memory: one forward + backward on meta, every tensor autograd saves.

Side-effect free for the user's model: parameters and buffers are meta stand-ins passed through
``torch.nn.utils.stateless`` (functional_call's swap, held over the backward too); the global module hooks (to name the saving layer) and the ``forward`` overrides of
checkpointed blocks are removed in ``finally``; the module's ``training`` flags are put back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.checkpoint import checkpoint as torch_checkpoint
from torch.utils.flop_counter import FlopCounterMode

from archcost.counting import meta_kernels
from archcost.counting.fast_paths import unfused
from archcost.errors import UsageError
from archcost.torch_compat import TorchDispatchMode, never_compiled, reparametrized, storage_key
from archcost.training.loss import form_loss


def storage_bytes(tensor: torch.Tensor) -> int:
    return tensor.untyped_storage().nbytes()


@dataclass
class SavedTrace:
    """What one traced step saved: bytes by storage, the layer that saved each, and the checkpoint figures."""

    saved: dict[int, int] = field(default_factory=dict)  # storage key -> bytes
    owner: dict[int, str] = field(default_factory=dict)  # storage key -> module that saved it first
    checkpoint_input_bytes: dict[str, int] = field(default_factory=dict)
    recomputed_macs: dict[str, int] = field(default_factory=dict)
    backward_transient_bytes: int = 0


class _LargestOutput(TorchDispatchMode):
    """Largest bytes produced by one aten op during the backward: the transient on top of what is already live.

    Outputs come from the tracer's shape-only kernels where they apply (counting/meta_kernels.py, each checked
    against torch's own): torch builds many meta outputs in Python (what that costs: reports/benchmarks/
    train_speed.md). The forward runs under the mode too, with ``counting`` off."""

    def __init__(self) -> None:
        super().__init__()
        self.largest_bytes = 0
        self.counting = False

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        out = meta_kernels.run(func.overloadpacket.__name__, args, kwargs) if "out" not in kwargs else None
        if out is None:
            out = func(*args, **kwargs)
        if not self.counting:
            return out
        flat = out if isinstance(out, (tuple, list)) else (out,)
        produced = {storage_key(t): storage_bytes(t) for t in flat if isinstance(t, torch.Tensor)}
        self.largest_bytes = max(self.largest_bytes, sum(produced.values()))
        return out


never_compiled(_LargestOutput)  # as in counting/tracer.py: spares a cold start the import of torch._dynamo


@contextlib.contextmanager
def _module_names(model: torch.nn.Module, stack: list[str]) -> Iterator[None]:
    """Keep ``stack`` as the chain of modules of ``model`` running now (global hooks, removed on exit)."""
    names = {id(m): name for name, m in model.named_modules()}

    def pre(module: torch.nn.Module, _inputs: Any) -> None:
        if id(module) in names:
            stack.append(names[id(module)])

    def post(module: torch.nn.Module, _inputs: Any, _output: Any) -> None:
        if id(module) in names and stack:
            stack.pop()

    handles = [torch.nn.modules.module.register_module_forward_pre_hook(pre),
               torch.nn.modules.module.register_module_forward_hook(post, always_call=True)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


@contextlib.contextmanager
def _checkpointed(model: torch.nn.Module, blocks: tuple[str, ...], trace: SavedTrace,
                  params: set[int]) -> Iterator[None]:
    """Run each named block through non-reentrant torch.utils.checkpoint; record its kept inputs and its MACs."""
    modules = dict(model.named_modules())
    unknown = [b for b in blocks if b not in modules or b == ""]
    if unknown:
        raise UsageError(f"cannot checkpoint {unknown[0]!r}: no such module (use a name from the table)")
    patched: list[torch.nn.Module] = []
    try:
        for name in blocks:
            module = modules[name]
            original = module.forward

            def run(*args: Any, _orig: Any = original, _name: str = name, **kwargs: Any) -> Any:
                # Non-reentrant checkpoint keeps the block's inputs alive until its recompute: they stay saved.
                for arg in args:
                    if isinstance(arg, torch.Tensor) and storage_key(arg) not in params \
                            and storage_key(arg) not in trace.saved:
                        trace.saved[storage_key(arg)] = storage_bytes(arg)
                        trace.owner[storage_key(arg)] = _name
                        trace.checkpoint_input_bytes[_name] = \
                            trace.checkpoint_input_bytes.get(_name, 0) + storage_bytes(arg)
                with FlopCounterMode(display=False) as counter:  # what the backward will run again
                    out = torch_checkpoint(_orig, *args, use_reentrant=False, **kwargs)
                trace.recomputed_macs[_name] = trace.recomputed_macs.get(_name, 0) + counter.get_total_flops() // 2
                return out

            module.forward = run  # type: ignore[method-assign]
            patched.append(module)
        yield
    finally:
        for module in patched:
            del module.forward  # the instance attribute goes; the class's forward shows again


def trace_saved(model: torch.nn.Module, state: dict[str, torch.Tensor], args: tuple[Any, ...],
                checkpoint: tuple[str, ...] = ()) -> SavedTrace:
    """One training step's forward and backward on meta stand-ins ``state``; every storage autograd saves."""
    trace = SavedTrace()
    params = {storage_key(t) for t in state.values()}
    stack: list[str] = []

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        key = storage_key(tensor)
        if key not in params and key not in trace.saved:
            trace.saved[key] = storage_bytes(tensor)
            trace.owner[key] = stack[-1] if stack else ""
        return tensor

    modes = {name: m.training for name, m in model.named_modules()}
    model.train()
    try:
        # The stand-ins replace the model's tensors for the forward AND the backward: a checkpointed block's
        # recompute runs in the backward and must see them too (torch.func.functional_call covers the forward only).
        largest = _LargestOutput()
        with reparametrized(model, state, tie_weights=True):
            # The same unfused paths as the analysis's own trace (counting/fast_paths.py): a recurrent layer runs
            # torch's decomposition in both, so the two traces see the same ops.
            with unfused([]), _module_names(model, stack), _checkpointed(model, checkpoint, trace, params), \
                    torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), largest:
                loss, _ = form_loss(model(*args))
            largest.counting = True
            with largest:
                torch.autograd.grad(loss, [t for t in state.values() if t.requires_grad], allow_unused=True)
        trace.backward_transient_bytes = largest.largest_bytes
    finally:
        for name, module in model.named_modules():
            module.training = modes.get(name, module.training)
    return trace

