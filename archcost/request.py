"""One analysis request, normalised once: the network looked up once, the inputs parsed once, and the disk store's
key made from that normalised form. Torch-free, so ``archcost table`` answers a cached request without importing
torch.

Inputs are normalised to :class:`archcost.shapes.InputSpec`s whatever form they came in: ``"3x224x224"``,
``(3, 224, 224)`` and ``["3x224x224"]`` are one request (and one key); ``batch`` folds in by the shapes' one rule, so
``"3x32x32"`` at batch 1 and ``"1x3x32x32"`` are one request too (cache.input_identity).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archcost import cache
from archcost.errors import ArchcostError
from archcost.shapes import InputSpec, batched, check_dims, format_shape, is_dims, parse_input
from archcost.zoo import arguments, registry
from archcost.zoo.resolve import Resolved


@dataclass(frozen=True)
class Request:
    """What one analysis is asked: ``network`` as typed, its registry ``entry`` (None: not a registry name, resolved
    when it is built), the inputs (None: the network's native input), and the options the figures depend on."""

    network: str
    inputs: tuple[InputSpec, ...] | None
    batch: int | None
    convention: str
    dtype: str
    config: dict[str, Any] = field(default_factory=dict)  # builder arguments (--set)
    device: str = "auto"
    mode: str = "inference"
    entry: registry.Entry | None = None

    @classmethod
    def of(cls, network: str, inputs: Any, *, batch: int | None, convention: str, dtype: str,
           config: dict[str, Any] | None = None, device: str = "auto", mode: str = "inference") -> Request:
        """The request, its inputs parsed and checked against ``batch`` (a malformed shape or a contradicting
        batch is one error here, before torch is imported) and its name looked up in the registry once."""
        specs = normalised(inputs)
        for spec, given in zip(specs or (), _items(inputs)):
            # A --batch that contradicts an exact shape fails here, naming the shape as it was typed.
            batched(spec.dims, batch=batch, what=given if isinstance(given, str) else format_shape(spec.dims))
        try:
            entry: registry.Entry | None = registry.get(network)
        except ArchcostError:
            entry = None  # not a registry name: building it says what is wrong with it
        if entry is not None and config:
            arguments.check(entry.name, entry.builder, config)  # before torch is imported
        return cls(network, specs, batch, convention, dtype, dict(config or {}), device, mode, entry)

    def target(self) -> str | Resolved:
        """What to build: the registry entry already looked up (not looked up again), else the name as typed."""
        if self.entry is None:
            return self.network
        e = self.entry
        return Resolved(e.name, e.builder, e.input_shape, e)

    def input_value(self) -> list[InputSpec] | None:
        """The inputs as ``archcost.analyze`` takes them (already parsed: they are not parsed again)."""
        return None if self.inputs is None else list(self.inputs)

    def cache_key(self) -> str | None:
        """The disk store's key of this request (cache.py), or None when the result is not a pure function of it:
        not a registry network, or not analysed on meta (a registry network is analysed on meta under auto)."""
        if self.entry is None or self.device not in ("auto", "meta"):
            return None
        return cache.analysis_key(network=self.entry.name, inputs=cache.input_identity(list(self.inputs or ()),
                                                                                      self.batch),
                                  batch=self.batch, device="meta", convention=self.convention, dtype=self.dtype,
                                  config=self.config, mode=self.mode)


def normalised(inputs: Any) -> tuple[InputSpec, ...] | None:
    """``inputs`` as InputSpecs: a shape string, a tuple or list of ints (one shape), or a list or tuple of those
    (several inputs); None for the native input. Anything else (a tensor, a dict) is for ``archcost.analyze``."""
    return None if inputs is None else tuple(_spec(i) for i in _items(inputs))


def _items(inputs: Any) -> list[Any]:
    """The inputs one by one: a single string, spec or shape is one input."""
    if inputs is None:
        return []
    if isinstance(inputs, (str, InputSpec)) or is_dims(inputs):
        return [inputs]
    if isinstance(inputs, (list, tuple)) and inputs and all(isinstance(i, (str, InputSpec)) or is_dims(i)
                                                              for i in inputs):
        return list(inputs)
    raise TypeError(f"a request's inputs are shape strings or tuples of ints, got {type(inputs).__name__}")


def _spec(value: str | InputSpec | tuple[int, ...] | list[int]) -> InputSpec:
    if isinstance(value, InputSpec):
        return value
    if isinstance(value, str):
        return parse_input(value)
    return InputSpec(check_dims(tuple(value), what=format_shape(tuple(value))))
