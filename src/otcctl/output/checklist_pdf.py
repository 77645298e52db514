"""Checklist as an A4 landscape PDF (fpdf2) with an embedded, subset CJK font.

The table is laid out by hand rather than with ``FPDF.table`` because a cell mixes sizes and
faces (the manual's action in body type, the machine check and exact command below it in
small monospace), rows must keep room for handwriting, and a row taller than a page has to
continue on the next page under a repeated header.

A PDF with a missing glyph shows a blank where a Chinese character or a command should be,
and an operator could sign a page that silently lost words; so every string is checked against
the embedded fonts before it is drawn, and a missing font or glyph is an error, never a PDF.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fpdf import FPDF

from otcctl.errors import OtcctlError
from otcctl.output.checklist import (
    ROLLBACK_HEADING,
    ROLLBACK_NOTE,
    STEPS_HEADING,
    Checklist,
    ChecklistRow,
    wrap,
)

FONT_ENV = "OTCCTL_CJK_FONT"
CJK_FONT_CANDIDATES: tuple[Path, ...] = tuple(
    Path(p)
    for p in (
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # fonts-noto-cjk
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
        "C:/Windows/Fonts/simhei.ttf",
        "C:/Windows/Fonts/simsun.ttc",
    )
)
# Droid Sans Fallback has CJK only: Latin letters, digits and "·" come from one of these.
LATIN_FONT_CANDIDATES: tuple[Path, ...] = tuple(
    Path(p)
    for p in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "C:/Windows/Fonts/arial.ttf",
    )
)
MONO_FONT_CANDIDATES: tuple[Path, ...] = tuple(
    Path(p)
    for p in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
        "/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
        "C:/Windows/Fonts/consola.ttf",
    )
)
INSTALL_HINT = (
    "install a Chinese font: `sudo apt-get install fonts-droid-fallback` (Debian/Ubuntu; "
    "fonts-noto-cjk or fonts-wqy-zenhei also work), or set OTCCTL_CJK_FONT=/path/to/font.ttf; "
    "the html format prints without one"
)

PAGE_W, PAGE_H, MARGIN = 297.0, 210.0, 10.0
TABLE_BOTTOM = PAGE_H - 13.0
PAD = 1.2
BODY_PT, DETAIL_PT, RUNNING_PT, RULE_PT = 9.0, 7.5, 7.0, 6.0
ROW_MIN_H = 11.0
PT_MM = 25.4 / 72


class CjkFontMissing(OtcctlError):
    """No font that can show the checklist's Chinese (or one of its characters) was found."""


@dataclass(frozen=True)
class PdfFonts:
    """The font files the PDF embeds: CJK always; Latin and mono when found."""

    cjk: Path
    latin: Path | None = None
    mono: Path | None = None


def find_cjk_font(environ: Mapping[str, str] | None = None, candidates: Sequence[Path] = CJK_FONT_CANDIDATES) -> Path:
    """``OTCCTL_CJK_FONT`` if set (and then it must exist), else the first installed candidate."""
    env = os.environ if environ is None else environ
    override = env.get(FONT_ENV, "").strip()
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise CjkFontMissing(f"{FONT_ENV}={override} is not a font file; {INSTALL_HINT}")
        return path
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise CjkFontMissing(f"no Chinese (CJK) font found for the PDF checklist (looked in {looked}); {INSTALL_HINT}")


def find_fonts(environ: Mapping[str, str] | None = None) -> PdfFonts:
    """The CJK font plus the first installed Latin and monospace fonts (optional)."""
    return PdfFonts(
        cjk=find_cjk_font(environ),
        latin=next((p for p in LATIN_FONT_CANDIDATES if p.is_file()), None),
        mono=next((p for p in MONO_FONT_CANDIDATES if p.is_file()), None),
    )


def render_pdf(checklist: Checklist, *, created_at: datetime, fonts: PdfFonts | None = None) -> bytes:
    """The checklist as PDF bytes; ``created_at`` goes into the metadata so output is reproducible."""
    writer = _Writer(fonts or find_fonts(), checklist)
    writer.pdf.set_creation_date(created_at)
    writer.write()
    return bytes(writer.pdf.output())


def _collection_index(path: Path) -> int:
    """In a .ttc, the Simplified Chinese face (Noto CJK puts JP first); else the first face."""
    if path.suffix.lower() != ".ttc":
        return 0
    from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

    with TTCollection(str(path), lazy=True) as collection:
        for index, face in enumerate(collection.fonts):
            family = str(face["name"].getDebugName(1) or "")
            if family.endswith((" SC", " GB")) or "Simplified" in family:
                return index
    return 0


@dataclass(frozen=True)
class _Line:
    text: str
    family: str
    size: float
    gray: int = 0

    @property
    def height(self) -> float:
        return self.size * PT_MM * 1.3


class _Writer:
    """Lays the checklist out page by page; owns the FPDF document while it is written."""

    def __init__(self, fonts: PdfFonts, checklist: Checklist) -> None:
        self.checklist = checklist
        self.widths = checklist.layout.pdf_mm
        pdf = FPDF(orientation="L", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_title(checklist.title)
        pdf.set_author("otcctl")
        pdf.set_creator("otcctl")
        pdf.set_lang(checklist.lang)
        pdf.add_font("cjk", fname=str(fonts.cjk), collection_font_number=_collection_index(fonts.cjk))
        families = ["cjk"]
        for family, path in (("latin", fonts.latin), ("mono", fonts.mono)):
            if path is not None:
                pdf.add_font(family, fname=str(path))
                families.append(family)
        pdf.set_fallback_fonts([f for f in ("latin", "cjk", "mono") if f in families])
        self.mono = "mono" if fonts.mono is not None else "cjk"
        self.digits = "latin" if fonts.latin is not None else "cjk"
        self.covered: set[int] = set()
        for key, font in pdf.fonts.items():
            if key in families:
                self.covered.update(getattr(font, "cmap", {}))
        self.font_names = ", ".join(str(p) for p in (fonts.cjk, fonts.latin, fonts.mono) if p is not None)
        self.pdf = pdf
        self.y = MARGIN
        self.rows_on_page = 0
        self.in_table = False

    def write(self) -> None:
        """Header block, the steps table, the rollback table, the sign-off footer."""
        c = self.checklist
        self._new_page()
        self._text_line(_Line(c.title, "cjk", 15), gap=2)
        for label, value in c.header:
            self._text_line(_Line(f"{label}: {value}", "cjk", 9.5))
        self._text_line(_Line(c.heading_lines[-1], "cjk", 11), gap=3, before=3)
        self._table(STEPS_HEADING, None, c.rows)
        if c.rollback_rows:
            self._table(ROLLBACK_HEADING, ROLLBACK_NOTE, c.rollback_rows)
        for heading, lines in c.sections:
            self._room_for(_Line(heading, "cjk", 11), 3.5 + _Line("", "cjk", 9).height)
            self._text_line(_Line(heading, "cjk", 11), gap=0.5, before=3)
            for text in lines:
                self._room_for(_Line(f"- {text}", "cjk", 9), 0.6)
                self._text_line(_Line(f"- {text}", "cjk", 9))
        footer = [_Line(c.footer[0], "cjk", 11), *(_Line(t, "cjk", 8.5, 60) for t in c.footer[1:])]
        if self.y + 8 + sum(line.height + 3 for line in footer) > TABLE_BOTTOM:
            self._new_page()
        self.y += 6
        for line in footer:
            self._text_line(line, gap=3)

    # --- pages and free text --------------------------------------------------------------

    def _new_page(self) -> None:
        pdf = self.pdf
        pdf.add_page()
        self.y = MARGIN
        self.rows_on_page = 0
        # fpdf2 substitutes the page-count alias in one font only, so the counter is drawn apart
        # in a font that has digits (Droid Sans Fallback has none).
        running = _Line(self.checklist.running_line, "cjk", RUNNING_PT, 90)
        self._draw(running, MARGIN, PAGE_H - 9, PAGE_W - 2 * MARGIN)
        self._check("0123456789/ ")
        pdf.set_font(self.digits, size=RUNNING_PT)
        pdf.set_xy(MARGIN, PAGE_H - 9)
        pdf.cell(PAGE_W - 2 * MARGIN, running.height, f"{pdf.page_no()} / {{nb}}", align="R")
        if self.in_table:
            self._header_row()

    def _text_line(self, line: _Line, *, gap: float = 0.6, before: float = 0.0) -> None:
        """A paragraph across the page width (header and footer), wrapped if it is too long."""
        self.y += before
        for part in self._wrap(line.text, PAGE_W - 2 * MARGIN, line.family, line.size):
            self._draw(_Line(part, line.family, line.size, line.gray), MARGIN, self.y, PAGE_W - 2 * MARGIN)
            self.y += line.height
        self.y += gap

    def _room_for(self, line: _Line, extra: float) -> None:
        """Start a new page unless this paragraph (and ``extra`` millimetres) fits above the running line."""
        lines = len(self._wrap(line.text, PAGE_W - 2 * MARGIN, line.family, line.size))
        if self.y + lines * line.height + extra > TABLE_BOTTOM:
            self._new_page()

    def _draw(self, line: _Line, x: float, y: float, w: float) -> None:
        self._check(line.text)
        self.pdf.set_font(line.family, size=line.size)
        self.pdf.set_text_color(line.gray)
        self.pdf.set_xy(x, y)
        self.pdf.cell(w, line.height, line.text)

    def _check(self, text: str) -> None:
        missing = sorted({ch for ch in text if ord(ch) not in self.covered and ch.isprintable()})
        if missing:
            shown = ", ".join(f"{ch!r} U+{ord(ch):04X}" for ch in missing)
            raise CjkFontMissing(
                f"the PDF fonts ({self.font_names}) have no glyph for {shown}; {INSTALL_HINT}; "
                "Droid Sans Fallback has no Latin letters or digits, so it also needs fonts-dejavu-core"
            )

    def _wrap(self, text: str, width: float, family: str, size: float) -> list[str]:
        self._check(text)
        self.pdf.set_font(family, size=size)
        return wrap(text, width, self.pdf.get_string_width)

    # --- tables ---------------------------------------------------------------------------

    def _table(self, heading: str, note: str | None, rows: Sequence[ChecklistRow]) -> None:
        first = self._row_cells(rows[0]) if rows else []
        head_h = _Line("", "cjk", 11).height + 2 + (_Line("", "cjk", 8).height if note else 0)
        needed = head_h + self._header_height() + (self._cells_height(first) if first else 0)
        if self.y + needed > TABLE_BOTTOM:
            self._new_page()
        self._text_line(_Line(heading, "cjk", 11), gap=0.5, before=2)
        if note:
            self._text_line(_Line(note, "cjk", 8, 60), gap=0.5)
        self.in_table = True
        self._header_row()
        for row in rows:
            self._row(self._row_cells(row))
        self.in_table = False

    def _header_cells(self) -> list[list[_Line]]:
        """The column names, wrapped in their columns (实际结果/异常说明 takes two lines)."""
        layout = self.checklist.layout
        return [[_Line(t, "cjk", BODY_PT) for t in self._wrap(h, w - 2 * PAD, "cjk", BODY_PT)]
                for h, w in zip(layout.columns, layout.pdf_mm, strict=True)]

    def _header_row(self) -> None:
        cells = self._header_cells()
        self._draw_cells(cells, self._cells_height(cells, min_h=0), fill=True)

    def _header_height(self) -> float:
        return self._cells_height(self._header_cells(), min_h=0)

    def _row_cells(self, row: ChecklistRow) -> list[list[_Line]]:
        def body(text: str, width: float) -> list[_Line]:
            return [_Line(t, "cjk", BODY_PT) for t in self._wrap(text, width, "cjk", BODY_PT)] if text else []

        inner = [w - 2 * PAD for w in self.widths]
        action = body(row.action, inner[3])
        for detail in row.details:
            family = self.mono if detail.code else "cjk"
            text = f"{detail.label}: {detail.text}"
            size, grey = (RULE_PT, 110) if detail.label == "规则" else (DETAIL_PT, 50)  # the exact rule: small print
            action += [_Line(t, family, size, grey) for t in self._wrap(text, inner[3], family, size)]
        manual = [body(row.no, inner[0]), body(row.when, inner[1]), body(row.host, inner[2]), action]
        manual += [body(row.judge, inner[4]), body(row.remark, inner[5]), body(row.source, inner[6])]
        filled = row.trailing(self.checklist.layout)
        return [*manual, *(body(text, width) for text, width in zip(filled, inner[7:], strict=True))]

    @staticmethod
    def _cells_height(cells: Sequence[Sequence[_Line]], min_h: float = ROW_MIN_H) -> float:
        return max(min_h, max(sum(line.height for line in cell) for cell in cells) + 2 * PAD)

    def _row(self, cells: list[list[_Line]]) -> None:
        """Draw a row; move it to a new page if it does not fit, split it if no page could hold it."""
        capacity = TABLE_BOTTOM - MARGIN - self._header_height()
        continued = f"{cells[0][0].text} (续)" if cells[0] else "(续)"
        while True:
            need = self._cells_height(cells)
            if self.y + need <= TABLE_BOTTOM:
                self._draw_cells(cells, need)
                self.rows_on_page += 1
                return
            if self.rows_on_page and need <= capacity:
                self._new_page()
                continue
            room = TABLE_BOTTOM - self.y - 2 * PAD
            head, cells = _split_cells(cells, room)
            if any(head):
                self._draw_cells(head, TABLE_BOTTOM - self.y)
                if not cells[0]:
                    cells[0] = [_Line(continued, "cjk", DETAIL_PT, 50)]
            self._new_page()

    def _draw_cells(self, cells: Sequence[Sequence[_Line]], height: float, *, fill: bool = False) -> None:
        pdf = self.pdf
        pdf.set_draw_color(0)
        pdf.set_line_width(0.2)
        pdf.set_fill_color(230)
        x = MARGIN
        for cell, width in zip(cells, self.widths, strict=True):
            pdf.rect(x, self.y, width, height, style="DF" if fill else "D")
            y = self.y + PAD
            for line in cell:
                self._draw(line, x + PAD, y, width - 2 * PAD)
                y += line.height
            x += width
        self.y += height


def _split_cells(cells: list[list[_Line]], room: float) -> tuple[list[list[_Line]], list[list[_Line]]]:
    """Each cell's lines that fit in ``room`` millimetres, and the rest for the next page."""
    head: list[list[_Line]] = []
    rest: list[list[_Line]] = []
    for cell in cells:
        used, count = 0.0, 0
        while count < len(cell) and used + cell[count].height <= room:
            used += cell[count].height
            count += 1
        head.append(cell[:count])
        rest.append(cell[count:])
    return head, rest
