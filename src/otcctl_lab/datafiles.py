"""Today's data files on the lab's file host, as FDEP / 中证资本 would have delivered them.

The lab plays the sender: it writes well-formed OFD files with the same writer the tests use,
so the arrival and format checks of the daily runbooks have something real to judge. Paths come
from the production inventory's templates, moved under the host's own tree in the lab.
"""

from __future__ import annotations

import re
from pathlib import Path

F1_RECORDS = 20
F2_RECORDS = 5
_NAME = re.compile(r"^OFD_(?P<creator>[^_]+)_(?P<receiver>[^_]+)_(?P<date>\d{8})_(?P<type>[^_.]+)\.TXT$", re.I)


def rebase(host_root: Path, production_path: str) -> str:
    """A production path template placed under a lab host's own tree."""
    return str(host_root / production_path.lstrip("/"))


def expand(template: str, date: str, file_type: str | None = None) -> Path:
    """A path template with ``{{date}}`` and ``{{type}}`` filled in."""
    path = template.replace("{{date}}", date)
    if file_type is not None:
        path = path.replace("{{type}}", file_type)
    return Path(path)


def write_data_file(path: Path, date: str) -> Path:
    """One OFD file; creator, receiver and type are read from its standard file name.

    Kept as the one place that decides file contents, so a richer sample (more records,
    a file to fail a check) only changes here.
    """
    from otcctl.domain.ofd_sample import sample_f1_records, sample_records, write_ofd_file

    match = _NAME.match(path.name)
    if match is None:
        raise ValueError(f"{path.name} is not an OFD file name (OFD_creator_receiver_date_type.TXT)")
    file_type = match["type"]
    records = (
        sample_f1_records(F1_RECORDS, update_date=date)
        if file_type == "07"
        else sample_records(file_type, F2_RECORDS, date=date)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_ofd_file(
        path, creator=match["creator"], receiver=match["receiver"], date=date, file_type=file_type, records=records
    )


def write_day(templates: dict[str, tuple[str, tuple[str, ...]]], date: str) -> list[Path]:
    """Every data file of ``date``; ``templates`` maps a data-file id to (lab path template, types)."""
    written: list[Path] = []
    for template, types in templates.values():
        for file_type in types or (None,):
            written.append(write_data_file(expand(template, date, file_type), date))
    return written
