"""The message catalogs: extract every user-facing string, merge into zh_CN, compile the .mo.

    .venv/bin/python scripts/i18n.py update    # extract, merge into the .po (new strings empty)
    .venv/bin/python scripts/i18n.py compile   # .po -> .mo (committed; a test checks it is current)
    .venv/bin/python scripts/i18n.py missing   # strings without a Chinese translation

Strings come from two places: ``_()``, ``N_()`` and ``ngettext()`` calls in ``src/otcctl`` and
``src/otcctl_lab`` (Babel's extractor), and the command tree itself (every command's description,
every option's help, the examples' comments), read from the mounted CLI as ``--help`` shows it.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parents[1]
LOCALE = REPO / "src" / "otcctl" / "locale"
PO = LOCALE / "zh_CN" / "LC_MESSAGES" / "otcctl.po"
MO = PO.with_suffix(".mo")
_CALL_IN_FSTRING = re.compile(r"""\{(?:escape\()?_\((['"])([^'"{}]+)\1\)""")
SOURCES = (REPO / "src" / "otcctl", REPO / "src" / "otcctl_lab")


def source_messages() -> dict[str | tuple[str, str], list[str]]:
    """msgid (or (singular, plural)) -> where it is used."""
    found: dict[str | tuple[str, str], list[str]] = {}
    for root in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(root):
            key: str | tuple[str, str] = message if isinstance(message, str) else (message[0], message[1])
            if key:
                found.setdefault(key, []).append(f"{root.name}/{filename}:{lineno}")
        for path in sorted(root.rglob("*.py")):  # _('...') inside f-strings, which the extractor skips
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for match in _CALL_IN_FSTRING.finditer(line):
                    found.setdefault(match.group(2), []).append(f"{root.name}/{path.relative_to(root)}:{number}")
    return found


def cli_messages() -> dict[str, list[str]]:
    """Every help text of the command tree (the lab's included, when it is installed)."""
    import typer

    from otcctl.cli.help import examples
    from otcctl.cli.main import _mount_subcommands, app

    _mount_subcommands()
    found: dict[str, list[str]] = {}

    def add(text: str | None, where: str) -> None:
        if text and text.strip():
            found.setdefault(text.strip(), []).append(where)

    def walk(command: object, path: str) -> None:
        add(getattr(command, "help", None), path)
        add(getattr(command, "short_help", None), path)
        for _cmd, comment in examples(getattr(command, "epilog", None)):
            add(comment, path + " (example)")
        for param in getattr(command, "params", []):
            add(getattr(param, "help", None), f"{path} {param.name}")
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "otcctl")
    from otcctl.cli.plugins import PLUGINS, load_plugin

    for name in PLUGINS:  # listed lazily by otcctl; their real help is walked here
        walk(load_plugin(name), f"otcctl {name}")
    add("Show this message and exit.", "otcctl --help")  # Typer's help option, added per command
    return found


def all_messages() -> dict[str | tuple[str, str], list[str]]:
    merged: dict[str | tuple[str, str], list[str]] = dict(source_messages())
    for key, where in cli_messages().items():
        merged.setdefault(key, []).extend(where)
    return merged


def read_catalog() -> Catalog:
    with PO.open("rb") as handle:
        return read_po(handle, locale="zh_CN", domain="otcctl")


def missing() -> list[str]:
    """msgids without a (non-fuzzy) translation."""
    catalog = read_catalog()
    gaps = []
    for key in all_messages():
        msg = catalog.get(key[0] if isinstance(key, tuple) else key)
        text = msg.string if msg is not None else None
        done = bool(text) and (all(text) if isinstance(text, tuple | list) else True)
        if msg is None or not done or msg.fuzzy:
            gaps.append(key if isinstance(key, str) else key[0])
    return gaps


def update() -> None:
    """Add new strings (empty) to the .po, keep translations, drop strings no longer used."""
    old = read_catalog() if PO.exists() else Catalog(locale="zh_CN", domain="otcctl")
    new = Catalog(locale="zh_CN", domain="otcctl", project="otcctl", charset="utf-8")
    for key, where in sorted(all_messages().items(), key=lambda kv: str(kv[0])):
        msgid = key if isinstance(key, str) else key[0]
        previous = old.get(msgid)
        string: str | tuple[str, ...] = "" if isinstance(key, str) else ("", "")
        if previous is not None and previous.string:
            string = previous.string
        locations = [(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) if w.rsplit(":", 1)[-1].isdigit()
                     else (w, 0) for w in sorted(set(where))][:3]
        new.add(key, string, locations=locations)
    PO.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, new, width=100, sort_output=False, omit_header=False)
    PO.write_bytes(buffer.getvalue())


def compiled() -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(), use_fuzzy=False)
    return buffer.getvalue()


def compile_mo() -> None:
    MO.write_bytes(compiled())


def main(argv: list[str]) -> int:
    action = argv[0] if argv else "missing"
    if action == "update":
        update()
    elif action == "compile":
        compile_mo()
    elif action == "missing":
        gaps = missing()
        for text in gaps:
            print(repr(text))
        print(f"{len(gaps)} strings without a translation", file=sys.stderr)
        return 1 if gaps else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
