"""Drawing surface for garment constructions, in body units.

Constructions think in body units (about a centimetre: neck point at y=0, waist at 40,
floor at 152, centre front at x=0). A Frame maps them to the canvas with a scale fixed
per garment family, so a maxi dress is visibly longer than a mini of the same type.
Details (seams, stitching, buttons) attach to the most recent piece so a later piece
drawn over it also hides its details, as on paper.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .geometry import CANVAS, Circle, Piece, Polygon, Polyline, Prim, Pt, mirror_x
from .palette import INK, RGB

OUTLINE_W = 2.6
SEAM_W = 1.5
STITCH_W = 1.1
STITCH_DASH = (5.0, 3.6)


@dataclass(frozen=True, slots=True)
class Frame:
    """Body units -> canvas: x' = 500 + x*scale*sx, y' = top + (y - y0)*scale."""

    y0: float
    y1: float
    sx: float = 1.0

    @property
    def scale(self) -> float:
        return (CANVAS - 120.0) / (self.y1 - self.y0)

    def pt(self, p: Pt) -> Pt:
        s = self.scale
        return (CANVAS / 2 + p[0] * s * self.sx, 60.0 + (p[1] - self.y0) * s)

    def pts(self, pts: Iterable[Pt]) -> tuple[Pt, ...]:
        s = self.scale
        sx = s * self.sx
        y0 = self.y0
        return tuple((CANVAS / 2 + x * sx, 60.0 + (y - y0) * s) for x, y in pts)


FRAMES: dict[str, Frame] = {
    "full": Frame(-15.0, 154.0, 1.12),
    "top": Frame(-27.0, 86.0, 1.0),
    "bottom": Frame(34.0, 154.0, 1.1),
    "shorts": Frame(33.0, 104.0, 1.0),
    "romper": Frame(-16.0, 100.0, 1.0),
}


@dataclass(slots=True)
class Sketch:
    frame: Frame
    fabric_base: dict[str, RGB]
    pieces: list[Piece] = field(default_factory=list)
    drawn_details: list[str] = field(default_factory=list)
    used_colors: set[int] = field(default_factory=set)
    overlay: list[Prim] = field(default_factory=list)
    # "without buttons": constructions close without them (a hidden placket).
    buttonless: bool = False

    # -- pieces ---------------------------------------------------------------------

    def piece(
        self,
        pts: Sequence[Pt],
        fabric: str = "main",
        shade: float = 0.0,
        opacity: float = 1.0,
        outline_w: float = OUTLINE_W,
    ) -> Piece:
        p = Piece(
            outline=self.frame.pts(pts),
            fabric=fabric,
            outline_color=INK,
            outline_width=outline_w,
            opacity=opacity,
            shade=shade,
        )
        # A piece needs an area: parts that vanish for some specs (the neck band of a
        # strapless body) are not drawn at all rather than drawn degenerate.
        if len(p.outline) >= 3:
            self.pieces.append(p)
        return p

    def sym_piece(self, pts: Sequence[Pt], fabric: str = "main", shade: float = 0.0) -> None:
        """A piece and its mirror image (right and left sleeve, both lapels ...)."""
        self.piece(pts, fabric, shade)
        self.piece(mirror_x(pts), fabric, shade)

    @property
    def current(self) -> Piece:
        return self.pieces[-1]

    def ink(self) -> RGB:
        """Seam colour readable on the current piece's fabric."""
        from .palette import detail_ink

        base = self.fabric_base.get(self.current.fabric, (200, 200, 200))
        return detail_ink(base)

    # -- details on the current piece ------------------------------------------------

    def seam(self, pts: Sequence[Pt], width: float = SEAM_W, closed: bool = False) -> None:
        if len(pts) < 2:
            return
        self.current.details.append(Polyline(self.frame.pts(pts), self.ink(), width, closed=closed))

    def outline_line(self, pts: Sequence[Pt], width: float = OUTLINE_W) -> None:
        """A line in outline ink (edges of folds and openings that read as cut edges)."""
        if len(pts) < 2:
            return
        self.current.details.append(Polyline(self.frame.pts(pts), INK, width))

    def stitch(self, pts: Sequence[Pt], closed: bool = False, color: RGB | None = None) -> None:
        if len(pts) < 2:
            return
        self.current.details.append(
            Polyline(
                self.frame.pts(pts),
                color or self.ink(),
                STITCH_W,
                dash=STITCH_DASH,
                closed=closed,
            )
        )

    def sym_seam(self, pts: Sequence[Pt], width: float = SEAM_W) -> None:
        self.seam(pts, width)
        self.seam(mirror_x(pts), width)

    def sym_stitch(self, pts: Sequence[Pt]) -> None:
        self.stitch(pts)
        self.stitch(mirror_x(pts))

    def button(self, p: Pt, r: float = 0.8) -> None:
        if self.buttonless:
            return
        c = self.frame.pt(p)
        rr = r * self.frame.scale
        base = self.fabric_base.get(self.current.fabric, (200, 200, 200))
        from .palette import darken, lighten, luminance

        fill = lighten(base, 0.35) if luminance(base) < 0.35 else darken(base, 0.18)
        self.current.details.append(Circle(c[0], c[1], rr, fill, INK, 1.2))
        # Two thread holes make it read as a button rather than a dot.
        off = rr * 0.32
        hole = darken(fill, 0.5)
        self.current.details.append(Circle(c[0] - off, c[1], rr * 0.14, hole))
        self.current.details.append(Circle(c[0] + off, c[1], rr * 0.14, hole))

    def dot(self, p: Pt, r: float, color: RGB) -> None:
        c = self.frame.pt(p)
        self.current.details.append(Circle(c[0], c[1], r * self.frame.scale, color))

    def fill_shape(self, pts: Sequence[Pt], color: RGB, opacity: float = 1.0) -> None:
        self.current.details.append(Polygon(self.frame.pts(pts), color, opacity))

    def stroke_shape(
        self, pts: Sequence[Pt], color: RGB, width: float, closed: bool = False
    ) -> None:
        self.current.details.append(Polyline(self.frame.pts(pts), color, width, closed=closed))

    def detail(self, name: str) -> None:
        if name not in self.drawn_details:
            self.drawn_details.append(name)
