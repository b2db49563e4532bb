"""The application with every command registered: the one module that imports the command modules.

Imports go one way: this module imports ``app`` and then each command module, which registers its commands on
``app`` when imported; the command modules import ``app`` (and their helpers), never this module. Import order is
the order of ``archcost --help``. Every command module imports nothing heavy at module level, so this stays
torch-free for ``--help``, ``list`` and ``--version``.
"""

from __future__ import annotations

from archcost.cli import (  # noqa: F401  (each import registers its commands on app)
    bench,
    cache,
    compare,
    listing,
    plot,
    plot_memory,
    plot_predicted,
    profile,
    report,
    reproduce,
    table,
)
from archcost.cli.app import app

__all__ = ["app"]
