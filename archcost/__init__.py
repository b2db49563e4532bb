"""archcost: what a convolutional network costs, layer by layer, counted exactly on PyTorch's meta device.

The package imports nothing heavy (torch, pandas, matplotlib) until an attribute that needs it is used.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "analyze", "build", "list_architectures", "Analysis", "bench", "reproduce"]


def __getattr__(name: str) -> Any:
    if name == "analyze":
        from archcost.analysis import analyze

        return analyze
    if name == "Analysis":
        from archcost.result import Analysis  # torch-free

        return Analysis
    if name == "build":
        from archcost.zoo.resolve import build

        return build
    if name in ("bench", "reproduce"):
        # archcost.bench(...) and archcost.reproduce(target) are callable packages (DESIGN section 4); once imported,
        # the import system binds them here itself.
        import importlib

        return importlib.import_module(f"archcost.{name}")
    if name == "list_architectures":
        from archcost.zoo.registry import list_architectures

        return list_architectures
    raise AttributeError(f"module 'archcost' has no attribute {name!r}")
