"""The JR/T 0017 field dictionary and header layouts, as data the OFD checker and writer share.

Widths are in bytes of GBK/GB18030 text. The dictionary lives in ``data/ofd_fields.json``
(transcribed from the public chenc224/ofbdep repository, named inside the file) so that a
field found in production can be added without touching code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from otcctl.i18n import N_

FieldKind = Literal["A", "C", "N"]

DATA_START = "OFDCFDAT"
FILE_END = "OFDCFEND"


@dataclass(frozen=True)
class FieldSpec:
    """One dictionary field: C text, A digits, N unsigned number with implied decimals."""

    name: str
    kind: FieldKind
    width: int
    decimals: int
    title: str


@dataclass(frozen=True)
class FileTypeSpec:
    """The fields the standard lists for one file type, in its order; ``required`` may be unknown."""

    code: str
    title: str
    fields: tuple[tuple[str, bool | None], ...]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(name for name, required in self.fields if required)

    @property
    def default_fields(self) -> tuple[str, ...]:
        """What a producer writes when it has nothing to add: the required fields, else all listed."""
        return self.required or tuple(name for name, _ in self.fields)

    def lists(self, name: str) -> bool:
        folded = name.casefold()
        return any(listed.casefold() == folded for listed, _ in self.fields)


@dataclass(frozen=True)
class HeaderLayout:
    """Byte widths of the fixed header lines; they changed between the 2.1 and 2.2 profiles.

    v20/21 from the standard (ofbdep ``tex/ofbdep.txt``, 数据文件内容 table); v22 from the
    中登 2.2 profile as recorded in the team's ofd-format.md.
    """

    version: str
    version_width: int
    party_width: int
    summary_width: int
    file_type_width: int
    person_width: int
    field_count_width: int
    record_count_width: int
    date_width: int = 8

    def line_widths(self) -> tuple[tuple[str, int], ...]:
        """(name, width) of header lines 1-10, in file order."""
        return (
            (N_("file mark"), len(DATA_START)),
            (N_("version"), self.version_width),
            (N_("creator"), self.party_width),
            (N_("receiver"), self.party_width),
            (N_("date"), self.date_width),
            (N_("summary table no."), self.summary_width),
            (N_("file type"), self.file_type_width),
            (N_("sender person"), self.person_width),
            (N_("recipient person"), self.person_width),
            (N_("field count"), self.field_count_width),
        )


def _v21_layout(version: str) -> HeaderLayout:
    return HeaderLayout(version=version, version_width=4, party_width=9, summary_width=3, file_type_width=2,
                        person_width=8, field_count_width=3, record_count_width=8)


HEADER_LAYOUTS: dict[str, HeaderLayout] = {
    "20": _v21_layout("20"),
    "21": _v21_layout("21"),
    "22": HeaderLayout(version="22", version_width=8, party_width=20, summary_width=8, file_type_width=8,
                       person_width=8, field_count_width=8, record_count_width=16),
}


@dataclass(frozen=True)
class OfdDictionary:
    """Field specs by name (any letter case) and file types by code."""

    fields: dict[str, FieldSpec]
    file_types: dict[str, FileTypeSpec]
    source: str

    def field(self, name: str) -> FieldSpec | None:
        """Look a field up whatever its letter case, since producers write names in any case."""
        return self.fields.get(name.casefold())

    def file_type(self, code: str) -> FileTypeSpec | None:
        return self.file_types.get(code.upper())

    def record_width(self, names: tuple[str, ...]) -> int:
        total = 0
        for name in names:
            spec = self.field(name)
            if spec is None:
                raise KeyError(name)
            total += spec.width
        return total


def _field_from_json(name: str, raw: dict[str, Any]) -> FieldSpec:
    kind = raw["type"]
    if kind not in ("A", "C", "N"):
        raise ValueError(f"ofd_fields.json: field {name} has unknown type {kind!r}")
    return FieldSpec(name=name, kind=kind, width=int(raw["width"]), decimals=int(raw["decimals"]),
                     title=str(raw.get("title", "")))


def parse_dictionary(document: dict[str, Any]) -> OfdDictionary:
    """Build a dictionary from the JSON document; tests and add-ons can pass their own."""
    fields = {name.casefold(): _field_from_json(name, raw) for name, raw in document["fields"].items()}
    file_types: dict[str, FileTypeSpec] = {}
    for code, raw in document["file_types"].items():
        listed = tuple((str(name), required) for name, required in raw["fields"])
        for name, _ in listed:
            if name.casefold() not in fields:
                raise ValueError(f"ofd_fields.json: file type {code} lists {name}, which has no definition")
        file_types[code.upper()] = FileTypeSpec(code=code.upper(), title=str(raw.get("title", "")),
                                                fields=listed)
    source = document.get("source", {})
    return OfdDictionary(fields=fields, file_types=file_types,
                         source=str(source.get("transcription", "")) if isinstance(source, dict) else "")


@cache
def load_dictionary() -> OfdDictionary:
    """The packaged dictionary, read once per process."""
    text = resources.files("otcctl.domain").joinpath("data/ofd_fields.json").read_text(encoding="utf-8")
    return parse_dictionary(json.loads(text))
