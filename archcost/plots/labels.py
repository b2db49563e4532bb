"""Point labels that never overlap each other: a greedy search over positions around each bubble.

Each label tries positions at growing distances and eight (then sixteen) directions around its point, in display
coordinates, and takes the first whose box stays inside the axes and clear of every label already placed and of
every bubble and line segment given (the Pareto front). A label that ends up away from its bubble gets a thin leader line. The figure's size and the axes'
limits must be final before placing: the boxes are measured with the figure's own renderer.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Sequence

_PAD_PX = 2.0
LEADER_GAP_PT = 12  # a label further than this from its bubble gets a leader line


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, pad: float = _PAD_PX) -> bool:
        return not (self.x1 + pad <= other.x0 or other.x1 + pad <= self.x0 or
                    self.y1 + pad <= other.y0 or other.y1 + pad <= self.y0)

    def inside(self, other: Box) -> bool:
        return self.x0 >= other.x0 and self.x1 <= other.x1 and self.y0 >= other.y0 and self.y1 <= other.y1


def crosses(box: Box, start: tuple[float, float], end: tuple[float, float]) -> bool:
    """Whether the segment start-end passes through ``box`` (Liang-Barsky clipping)."""
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    low, high = 0.0, 1.0
    for p, q in ((-dx, x0 - box.x0), (dx, box.x1 - x0), (-dy, y0 - box.y0), (dy, box.y1 - y0)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return False
    return True


def _grown(box: Box, pad: float = _PAD_PX) -> Box:
    return Box(box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad)


def _directions(count: int) -> list[float]:
    # Right, left, up, down first: labels read best beside their point.
    first = [0.0, math.pi, math.pi / 2, -math.pi / 2]
    rest = [2 * math.pi * k / count for k in range(count)]
    return first + [a for a in rest if all(abs(a - f) > 1e-9 and abs(a - f - 2 * math.pi) > 1e-9 for f in first)]


def place_labels(axes: Any, points: Sequence[tuple[float, float, str, float, str]], *, fontsize: float = 11.0,
                 color: str = "#222222", lines: Sequence[Sequence[tuple[float, float]]] = ()) -> list[Any]:
    """Label each (x, y, text, radius_pt, gid) point of ``axes``, keeping clear of the polylines ``lines`` (data
    coordinates: a Pareto front must not strike through a label); returns the annotation artists in input order."""
    figure = axes.figure
    renderer = figure.canvas.get_renderer()
    px_per_pt = figure.dpi / 72.0
    frame = axes.get_window_extent(renderer)
    area = Box(frame.x0 + 2, frame.y0 + 2, frame.x1 - 2, frame.y1 - 2)
    centres = [axes.transData.transform((x, y)) for x, y, *_ in points]
    bubbles = [Box(cx - r * px_per_pt, cy - r * px_per_pt, cx + r * px_per_pt, cy + r * px_per_pt)
               for (cx, cy), (_, _, _, r, _) in zip(centres, points)]
    segments: list[tuple[tuple[float, ...], tuple[float, ...]]] = []
    for line in lines:
        shown = [tuple(axes.transData.transform(xy)) for xy in line]
        segments.extend(itertools.pairwise(shown))
    placed: list[Box] = []
    artists: list[Any] = [None] * len(points)
    # Crowded points first: they have the fewest free positions.
    crowd = [sum(1 for other in centres if math.dist(c, other) < 120 * px_per_pt) for c in centres]
    for index in sorted(range(len(points)), key=lambda i: (-crowd[i], i)):
        x, y, text, radius, gid = points[index]
        probe = axes.text(0, 0, text, fontsize=fontsize)
        extent = probe.get_window_extent(renderer)
        probe.remove()
        width, height = extent.width, extent.height
        cx, cy = centres[index]
        bx, by, gap_pt = _search(cx, cy, radius * px_per_pt, width, height, area, placed, bubbles, index,
                                 px_per_pt, segments)
        placed.append(Box(bx - width / 2, by - height / 2, bx + width / 2, by + height / 2))
        far = gap_pt > LEADER_GAP_PT
        artists[index] = axes.annotate(
            text, xy=(x, y), xytext=((bx - cx) / px_per_pt, (by - cy) / px_per_pt), textcoords="offset points",
            ha="center", va="center", fontsize=fontsize, color=color, gid=gid, zorder=5, annotation_clip=False,
            arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.7, "shrinkA": 0, "shrinkB": radius}
            if far else None,
        )
    return artists


def _search(cx: float, cy: float, radius: float, width: float, height: float, area: Box, placed: list[Box],
            bubbles: list[Box], own: int, px_per_pt: float,
            segments: Sequence[tuple[Any, Any]] = ()) -> tuple[float, float, float]:
    """The first free centre for a width x height box around (cx, cy); if none is free of bubbles and lines, the
    first free of labels; if none at all, the one overlapping the fewest labels. Returns the centre and the gap in
    points."""
    fallback: tuple[float, float, float] | None = None
    least: tuple[int, tuple[float, float, float]] | None = None
    for gap_pt in (2, 8, 16, 28, 44, 64, 90, 120, 160, 210):
        gap = gap_pt * px_per_pt
        for angle in _directions(8 if gap_pt < 28 else 16):
            dx, dy = math.cos(angle), math.sin(angle)
            # Distance from the centre to the box edge along the direction, so the gap is measured box to bubble.
            reach = min(width / 2 / abs(dx) if abs(dx) > 1e-9 else math.inf,
                        height / 2 / abs(dy) if abs(dy) > 1e-9 else math.inf)
            bx, by = cx + dx * (radius + gap + reach), cy + dy * (radius + gap + reach)
            box = Box(bx - width / 2, by - height / 2, bx + width / 2, by + height / 2)
            if not box.inside(area):
                continue
            clashes = sum(1 for other in placed if box.overlaps(other))
            if clashes:
                if least is None or clashes < least[0]:
                    least = (clashes, (bx, by, gap_pt))
                continue
            if (not any(box.overlaps(b, 0.0) for i, b in enumerate(bubbles) if i != own)
                    and not any(crosses(_grown(box), a, b) for a, b in segments)):
                return bx, by, gap_pt
            if fallback is None:
                fallback = (bx, by, gap_pt)
    if fallback is not None:
        return fallback
    return least[1] if least is not None else (cx + radius + width / 2, cy, 0.0)
