"""The architecture zoo: one torch-free module per family registers its entries on import.

Torch code (the ``nn.Module`` classes) lives in :mod:`archcost.blocks` and is imported only when a model is built.
"""

from __future__ import annotations

import importlib
import pkgutil

# Every module in this package except the registry itself, the resolver and the resolver's helpers is a family module.
_NOT_FAMILIES = {"registry", "resolve", "arguments", "empty_weights", "offline", "user_code"}

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name not in _NOT_FAMILIES and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")
