"""The checklist printout in each format: the one entry point the CLI calls.

Kept apart from ``checklist`` (what the sheet says) so that the renderers, which read those
rows, and the dispatch, which picks a renderer, do not import each other.
"""

from __future__ import annotations

from datetime import datetime

from otcctl.output import checklist_text
from otcctl.output.checklist import FORMATS, Checklist, Format, build_checklist, in_shanghai
from otcctl.plan.build import Plan


def render_checklist(
    plan: Plan,
    fmt: Format,
    *,
    printed_at: datetime | None = None,
    width: int = 160,
) -> bytes:
    """The signed-on-paper checklist of ``plan`` as ``text``, ``md``, ``html`` (UTF-8) or ``pdf``.

    ``printed_at`` is shown in Asia/Shanghai (now, when not given; a naive value is taken as
    Shanghai time). ``width`` is the text format's line width in terminal cells.
    """
    return render_sheet(build_checklist(plan, printed_at=printed_at), fmt, printed_at=printed_at, width=width)


def render_sheet(checklist: Checklist, fmt: Format, *, printed_at: datetime | None = None, width: int = 160) -> bytes:
    """Any sheet (the blank checklist or the filled run report) in one of the printable formats."""
    if fmt == "pdf":
        from otcctl.output.checklist_pdf import render_pdf

        return render_pdf(checklist, created_at=in_shanghai(printed_at))

    if fmt == "text":
        return checklist_text.render_text(checklist, width=width).encode("utf-8")
    if fmt == "md":
        return checklist_text.render_markdown(checklist).encode("utf-8")
    if fmt == "html":
        return checklist_text.render_html(checklist).encode("utf-8")
    raise ValueError(f"unknown checklist format {fmt!r}; use one of {', '.join(FORMATS)}")
