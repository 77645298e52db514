"""The operators' language: how it is chosen, and a catalog with a Chinese text for every string."""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterator

import pytest
from scripts import i18n as catalogs

from otcctl import i18n


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("OTCCTL_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    i18n.set_language(None)
    yield
    i18n.set_language(None)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.GB18030"}, "zh_CN"),
        ({"LC_ALL": "zh_CN.UTF-8", "OTCCTL_LANG": "en"}, "en"),
        ({"OTCCTL_LANG": "zh"}, "zh_CN"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
    ],
)
def test_language_follows_the_environment(monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                          expected: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert i18n.language() == expected


def test_lang_option_outranks_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTCCTL_LANG", "en")
    i18n.set_language("zh")
    assert i18n._("yes") == "是"
    i18n.set_language("en")
    assert i18n._("yes") == "yes"
    with pytest.raises(ValueError):
        i18n.set_language("klingon")


def test_plural_forms_come_from_the_catalog() -> None:
    assert i18n.ngettext("one step", "{n} steps", 1) == "one step"
    assert i18n.ngettext("one step", "{n} steps", 3) == "{n} steps"


def test_every_user_facing_string_has_a_chinese_translation() -> None:
    """Every _()/N_() string and every help text of the command tree (the lab's too) is in zh_CN."""
    missing = catalogs.missing()
    assert not missing, (
        f"{len(missing)} strings have no zh_CN translation; run `python scripts/i18n.py update`, translate them in "
        f"{catalogs.PO.relative_to(catalogs.REPO)}, then `python scripts/i18n.py compile`:\n"
        + "\n".join(missing[:20])
    )


def test_the_compiled_catalog_is_the_po_file() -> None:
    shipped = gettext.GNUTranslations(io.BytesIO(catalogs.MO.read_bytes()))
    fresh = gettext.GNUTranslations(io.BytesIO(catalogs.compiled()))
    assert shipped._catalog == fresh._catalog, "the .mo is stale: run `python scripts/i18n.py compile`"  # type: ignore[attr-defined]


def test_translations_keep_every_placeholder() -> None:
    """A translation that drops or renames {name} would raise KeyError in front of an operator."""
    fields = re.compile(r"\{(\w*)(?:![rsa])?(?::[^}]*)?\}")
    wrong = []
    for message in catalogs.read_catalog():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if any(sorted(set(fields.findall(ids[0]))) != sorted(set(fields.findall(s))) for s in strings):
            wrong.append(ids[0])
    assert not wrong, wrong
