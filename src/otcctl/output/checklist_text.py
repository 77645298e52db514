"""Checklist as monospace text, GitHub markdown and a print-ready HTML page.

The text table uses only ASCII rules (``+ - = |``): box-drawing characters are "ambiguous
width" in East Asian fonts and print two cells wide on many Chinese printers and terminals,
which would break the columns that the CJK-aware padding keeps straight.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from rich.cells import cell_len

from otcctl.output.checklist import (
    ROLLBACK_HEADING,
    ROLLBACK_NOTE,
    STEPS_HEADING,
    Checklist,
    ChecklistRow,
    Detail,
    Layout,
    wrap,
)

MIN_TEXT_WIDTH = 150
ROW_MIN_LINES = 2


# --- text ---------------------------------------------------------------------------------


def render_text(checklist: Checklist, *, width: int = 160) -> str:
    """Aligned columns for a monospace printout; every table line is exactly ``width`` cells."""
    if width < MIN_TEXT_WIDTH:
        raise ValueError(f"a checklist needs at least {MIN_TEXT_WIDTH} columns of text, not {width}")
    all_rows = checklist.rows + checklist.rollback_rows
    layout = checklist.layout
    widths = _text_widths(all_rows, width, layout)
    out: list[str] = [*wrap(checklist.title, width), ""]
    for line in checklist.heading_lines:
        out.extend(wrap(line, width))
    out += ["", STEPS_HEADING, *_text_table(checklist.rows, widths, layout)]
    if checklist.rollback_rows:
        out += ["", f"{ROLLBACK_HEADING}  {ROLLBACK_NOTE}", *_text_table(checklist.rollback_rows, widths, layout)]
    for heading, lines in checklist.sections:
        out += ["", heading, *(w for line in lines for w in wrap(f"- {line}", width))]
    out.append("")
    for line in checklist.footer:
        out.extend(wrap(line, width))
    return "\n".join(out) + "\n"


def _text_action(row: ChecklistRow) -> str:
    return "\n".join([row.action, *(f"{d.label}: {d.text}" for d in row.details)])


def _natural(texts: Sequence[str]) -> int:
    """Widest line of any of the texts, in cells."""
    return max((cell_len(line) for text in texts for line in text.split("\n")), default=0)


def _text_widths(rows: Sequence[ChecklistRow], width: int, layout: Layout) -> tuple[int, ...]:
    """Column widths: narrow columns as wide as their content (capped), the rest shared out.

    The action column gets what is left, since it carries the commands a reviewer must read.
    """
    heads = [cell_len(h) for h in layout.columns]
    no = max(heads[0], _natural([r.no for r in rows]))
    when = min(max(heads[1], _natural([r.when for r in rows])), 10)
    host = min(max(heads[2], _natural([r.host for r in rows])), 16)
    fixed = no + when + host + sum(layout.text_trailing)
    free = width - fixed - (3 * len(layout.columns) + 1)
    judge = min(max(heads[4], _natural([r.judge for r in rows])), max(heads[4], free * 15 // 100))
    remark = min(max(heads[5], _natural([r.remark for r in rows])), max(heads[5], free * 10 // 100))
    source = min(max(heads[6], _natural([r.source for r in rows])), 10)
    action = free - judge - remark - source
    return (no, when, host, action, judge, remark, source, *layout.text_trailing)


def _text_table(rows: Sequence[ChecklistRow], widths: Sequence[int], layout: Layout) -> list[str]:
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    head_rule = rule.replace("-", "=")
    out = [rule, *_text_row(layout.columns, widths, 1), head_rule]
    for row in rows:
        cells = (row.no, row.when, row.host, _text_action(row), row.judge, row.remark, row.source,
                 *row.trailing(layout))
        out += [*_text_row(cells, widths, ROW_MIN_LINES), rule]
    return out


def _text_row(cells: Sequence[str], widths: Sequence[int], min_lines: int) -> list[str]:
    wrapped = [wrap(cell, w) if cell else [] for cell, w in zip(cells, widths, strict=True)]
    height = max(min_lines, *(len(lines) for lines in wrapped))
    out = []
    for i in range(height):
        parts = []
        for lines, w in zip(wrapped, widths, strict=True):
            text = lines[i] if i < len(lines) else ""
            parts.append(text + " " * (w - cell_len(text)))
        out.append("| " + " | ".join(parts) + " |")
    return out


# --- markdown -----------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def md_escape(text: str) -> str:
    """Backslash-escape what markdown would read as markup, ``|`` included (it ends a cell)."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", "<br>")


def md_code(text: str) -> str:
    """Exact text as code spans, one per line (a table cell cannot hold a code block)."""
    spans = []
    for line in text.split("\n"):
        longest = max((len(run) for run in re.findall(r"`+", line)), default=0)
        fence = "`" * (longest + 1)
        pad = " " if line.startswith("`") or line.endswith("`") else ""
        spans.append(f"{fence}{pad}{line.replace('|', chr(92) + '|')}{pad}{fence}" if line.strip() else "")
    return "<br>".join(spans)


def _md_detail(detail: Detail) -> str:
    text = md_code(detail.text) if detail.code else md_escape(detail.text)
    return f"{md_escape(detail.label)}: {text}"


def render_markdown(checklist: Checklist) -> str:
    """A GitHub markdown document: header list, the step tables, and the sign-off footer."""
    out = [f"# {md_escape(checklist.title)}", ""]
    out += [f"- **{md_escape(label)}**: {md_escape(value)}" for label, value in checklist.header]
    layout = checklist.layout
    out += ["", md_escape(checklist.heading_lines[-1]), "", f"## {STEPS_HEADING}", ""]
    out += _md_table(checklist.rows, layout)
    if checklist.rollback_rows:
        out += ["", f"## {ROLLBACK_HEADING}", "", md_escape(ROLLBACK_NOTE), ""]
        out += _md_table(checklist.rollback_rows, layout)
    for heading, lines in checklist.sections:
        out += ["", f"## {md_escape(heading)}", "", *(f"- {md_escape(line)}" for line in lines)]
    out += ["", "---", ""]
    for line in checklist.footer:
        out += [md_escape(line), ""]
    return "\n".join(out)


def _md_table(rows: Sequence[ChecklistRow], layout: Layout) -> list[str]:
    out = ["| " + " | ".join(layout.columns) + " |", "|" + "---|" * len(layout.columns)]
    for row in rows:
        action = "<br>".join([md_escape(row.action), *(_md_detail(d) for d in row.details)])
        cells = [md_escape(row.no), md_escape(row.when), md_escape(row.host), action]
        cells += [md_escape(row.judge), md_escape(row.remark), md_escape(row.source)]
        cells += [md_escape(t) or " " for t in row.trailing(layout)]
        out.append("| " + " | ".join(cells) + " |")
    return out


# --- html ---------------------------------------------------------------------------------

_CSS = """
@page { size: A4 landscape; margin: 10mm 10mm 14mm;
        @bottom-right { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; font-size: 8pt; }
        @bottom-left { font-size: 7pt; color: #555; } }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       "WenQuanYi Micro Hei", "Droid Sans Fallback", sans-serif; font-size: 10pt; color: #000;
       max-width: 277mm; margin: 12mm auto; padding: 0 10mm; }
@media print { body { max-width: none; margin: 0; padding: 0; } .screen-only { display: none; } }
div.detail.rule { font-size: 6.5pt; color: #555; }
h1 { font-size: 15pt; margin: 0 0 3mm; }
h2 { font-size: 12pt; margin: 5mm 0 2mm; }
table.meta td { padding: 0 4mm 0.5mm 0; vertical-align: top; }
table.meta td.label { color: #333; white-space: nowrap; }
p.people { font-size: 11pt; margin: 3mm 0; }
table.steps { width: 100%; border-collapse: collapse; table-layout: fixed; }
table.steps th, table.steps td { border: 0.6pt solid #000; padding: 1.2mm 1.5mm; vertical-align: top;
       text-align: left; overflow-wrap: anywhere; }
table.steps th { background: #e6e6e6; font-weight: bold; }
table.steps thead { display: table-header-group; }
table.steps tr { break-inside: avoid; page-break-inside: avoid; }
table.steps td.sign { height: 11mm; }
div.detail { font-size: 8pt; color: #333; margin-top: 0.8mm; }
code { font-family: "DejaVu Sans Mono", "Noto Sans Mono", Consolas, monospace; font-size: 7.5pt;
       white-space: pre-wrap; }
p.note { font-size: 9pt; color: #333; }
footer { margin-top: 6mm; font-size: 10pt; }
footer p { margin: 2mm 0; }
"""


def _css_string(text: str) -> str:
    """A CSS string literal (the running line printed in every page's margin)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _h(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")


def _html_detail(detail: Detail) -> str:
    body = f"<code>{html.escape(detail.text)}</code>" if detail.code else _h(detail.text)
    kind = "detail rule" if detail.label == "规则" else "detail"
    return f'<div class="{kind}">{_h(detail.label)}: {body}</div>'


def render_html(checklist: Checklist) -> str:
    """A self-contained page (inline CSS, no external files) that prints on A4 landscape."""
    meta = "\n".join(
        f'<tr><td class="label">{_h(label)}</td><td>{_h(value)}</td></tr>' for label, value in checklist.header
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_h(checklist.title)}</title>",
        f"<style>{_CSS}@page {{ @bottom-left {{ content: {_css_string(checklist.running_line)}; }} }}\n</style>",
        "</head>",
        "<body>",
        f"<h1>{_h(checklist.title)}</h1>",
        f'<p class="screen-only note">{_h(checklist.running_line)}</p>',
        f'<table class="meta">\n{meta}\n</table>',
        f'<p class="people">{_h(checklist.heading_lines[-1])}</p>',
        f"<h2>{_h(STEPS_HEADING)}</h2>",
        _html_table(checklist.rows, checklist.layout),
    ]
    if checklist.rollback_rows:
        parts += [
            f"<h2>{_h(ROLLBACK_HEADING)}</h2>",
            f'<p class="note">{_h(ROLLBACK_NOTE)}</p>',
            _html_table(checklist.rollback_rows, checklist.layout),
        ]
    for heading, lines in checklist.sections:
        parts += [f"<h2>{_h(heading)}</h2>", "<ul>", *(f"<li>{_h(line)}</li>" for line in lines), "</ul>"]
    parts += ["<footer>", *(f"<p>{_h(line)}</p>" for line in checklist.footer), "</footer>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _html_table(rows: Sequence[ChecklistRow], layout: Layout) -> str:
    cols = "".join(f'<col style="width:{w}%">' for w in layout.html_pct)
    head = "".join(f"<th>{_h(c)}</th>" for c in layout.columns)
    body = []
    for row in rows:
        action = _h(row.action) + "".join(_html_detail(d) for d in row.details)
        cells = [_h(row.no), _h(row.when), _h(row.host), action, _h(row.judge), _h(row.remark), _h(row.source)]
        tds = "".join(f"<td>{c}</td>" for c in cells)
        tds += "".join(f"<td>{_h(t)}</td>" if t else '<td class="sign"></td>' for t in row.trailing(layout))
        body.append(f"<tr>{tds}</tr>")
    return (
        f'<table class="steps">\n<colgroup>{cols}</colgroup>\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
        + "\n".join(body)
        + "\n</tbody>\n</table>"
    )
