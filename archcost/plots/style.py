"""The one place archcost imports matplotlib: Agg canvas, a colour-blind-safe palette, slide-sized figures and
byte-for-byte reproducible files.

matplotlib is imported inside the functions, so ``import archcost.plots`` stays cheap. Figures are built on
``matplotlib.figure.Figure`` with an explicit Agg canvas: pyplot's global state and the user's backend are never
touched.
"""

from __future__ import annotations

import io
import textwrap
from typing import Any

# Paul Tol's "muted" qualitative scheme: distinguishable under the common colour-vision deficiencies.
# https://personal.sron.nl/~pault/#sec:qualitative
PALETTE = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499")
GREY = "#777777"
# Marker shapes repeat the colour's information, so nothing depends on telling colours apart.
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h", "p", "<", ">")
# Families in a fixed order, so a family has the same colour and shape on every chart.
FAMILIES = ("alexnet", "vgg", "inception", "resnet", "preact-resnet", "resnext", "inception-resnet", "efficientnet",
            "mobilenet", "highway")

SLIDE_SIZE_IN = (13.33, 7.5)  # a 16:9 slide
DPI = 150
FORMATS = ("png", "svg", "pdf")

RC = {
    "font.size": 14, "axes.titlesize": 17, "axes.labelsize": 15, "xtick.labelsize": 13, "ytick.labelsize": 13,
    "legend.fontsize": 12, "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.alpha": 0.3, "grid.linestyle": "-", "savefig.dpi": DPI, "figure.dpi": DPI,
    # Reproducible files: a fixed salt for SVG ids and no timestamp (metadata below drops the dates).
    "svg.hashsalt": "archcost", "svg.fonttype": "path", "pdf.fonttype": 3, "path.simplify": True,
}
_METADATA = {"png": {"Software": "archcost (matplotlib)"}, "svg": {"Date": None, "Creator": "archcost (matplotlib)"},
             "pdf": {"CreationDate": None, "ModDate": None, "Creator": "archcost (matplotlib)"}}


def family_style(family: str) -> tuple[str, str]:
    """(colour, marker) of a family; unknown families continue the sequence after the known ones."""
    index = FAMILIES.index(family) if family in FAMILIES else len(FAMILIES) + sum(map(ord, family))
    return PALETTE[index % len(PALETTE)], MARKERS[index % len(MARKERS)]


def rc_context() -> Any:
    import matplotlib

    return matplotlib.rc_context(RC)  # type: ignore[arg-type]  # the stubs type keys as a Literal of every rc name


def new_figure(size_in: tuple[float, float] = SLIDE_SIZE_IN) -> Any:
    """A Figure on its own Agg canvas (no pyplot, no global backend switch)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size_in, dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def caption_lines(lines: list[str], *, width_chars: int) -> list[str]:
    wrapped: list[str] = []
    for line in lines:
        wrapped.extend(textwrap.wrap(line, width=width_chars) or [""])
    return wrapped


CAPTION_PT = 9.5
LINE_IN = CAPTION_PT * 1.35 / 72


def add_caption(figure: Any, lines: list[str], *, bottom_axis_in: float = 0.85) -> float:
    """Write the caption under the axes and return the fraction of the figure height the axes must start above."""
    width_in, height_in = figure.get_size_inches()
    wrapped = caption_lines(lines, width_chars=int(0.98 * width_in * 72 / (CAPTION_PT * 0.6)))
    figure.text(0.01, 0.012, "\n".join(wrapped), ha="left", va="bottom", fontsize=CAPTION_PT, color="#333333",
                gid="caption", linespacing=1.35)
    return (bottom_axis_in + len(wrapped) * LINE_IN + 0.15) / height_in


def figure_bytes(figure: Any, fmt: str) -> bytes:
    """The figure as PNG, SVG or PDF bytes, identical from one run to the next."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}")
    buffer = io.BytesIO()
    with rc_context():
        figure.savefig(buffer, format=fmt, dpi=DPI, metadata=_METADATA[fmt])
    return buffer.getvalue()
