"""The operators' language: English or Simplified Chinese, through gettext catalogs.

Strings are written in English in the code and looked up in ``locale/zh_CN/LC_MESSAGES/otcctl.mo``
when the language is Chinese. The language is, in order: ``--lang`` (``set_language``),
``$OTCCTL_LANG``, then the POSIX locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``). The catalog is read
only when a Chinese string is first wanted, so English start-up costs nothing.

The journal never holds translated text: it records codes (outcomes, answers, purposes) that
``log`` and ``report`` render in either language.
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DOMAIN = "otcctl"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "zh_CN")

_chosen: str | None = None
_catalog: _gettext.NullTranslations | None = None


def normalise(value: str | None) -> str | None:
    """A locale name or ``--lang`` value as one of LANGUAGES; None when it names neither."""
    if not value:
        return None
    text = value.strip().lower().replace("-", "_")
    if text.startswith("zh") or text in ("cn", "chinese", "中文"):
        return "zh_CN"
    if text.startswith("en") or text.split(".")[0] in ("c", "posix"):
        return "en"
    return None


def language() -> str:
    """The language in use: set explicitly, from $OTCCTL_LANG, or from the locale; English otherwise."""
    if _chosen is not None:
        return _chosen
    for variable in ("OTCCTL_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return normalise(value) or "en"
    return "en"


def set_language(value: str | None) -> str:
    """Choose the language (``--lang``); None goes back to the environment. Returns the language."""
    global _chosen, _catalog
    _chosen = normalise(value) if value else None
    if value and _chosen is None:
        raise ValueError(value)
    _catalog = None
    return language()


@contextmanager
def speaking(value: str) -> Iterator[None]:
    """Messages in this language for a while (the printouts are Chinese whatever the terminal speaks)."""
    global _chosen, _catalog
    saved = (_chosen, _catalog)
    set_language(value)
    try:
        yield
    finally:
        _chosen, _catalog = saved


def is_chinese() -> bool:
    """Whether messages are shown in Chinese."""
    return language() == "zh_CN"


def _translations() -> _gettext.NullTranslations:
    global _catalog
    if _catalog is None:
        lang = language()
        if lang == "en":
            _catalog = _gettext.NullTranslations()
        else:
            _catalog = _gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)
    return _catalog


def _(message: str) -> str:
    """The message in the chosen language (the English text when there is no translation)."""
    if not message or _chosen == "en" or (_chosen is None and language() == "en"):
        return message
    return _translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Singular or plural, in the chosen language."""
    if language() == "en":
        return singular if n == 1 else plural
    return _translations().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for the catalog without translating it now (translated where it is shown)."""
    return message
