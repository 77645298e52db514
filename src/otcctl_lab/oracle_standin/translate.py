"""One Oracle query rewritten for SQLite, or refused with the error Oracle (or honesty) calls for.

Rewrites: ``schema.table`` to the stand-in's table ``"schema.table"``, names with ``$``/``#``
quoted (``v$instance``, ``serial#``), ``sysdate`` and the emulated functions to their ``otc_``
UDFs, ``''`` to NULL (Oracle's empty string is NULL), ``/`` to a real division (SQLite divides
integers as integers), ``:name`` binds lower-cased, ``MINUS`` to ``EXCEPT``, ``^=`` to ``!=``.

``||`` chains and ``rownum`` limits are rewritten by :mod:`~otcctl_lab.oracle_standin.rewrite`.

Refused where SQLite would answer differently from Oracle: ``(+)`` joins, ROWID/CONNECT BY/
analytic functions, functions it does not know, a DATE compared with a string literal,
non-grouped columns, SELECT without FROM, SQLite-only syntax.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from otcctl_lab.oracle_standin.functions import OraError, unimplemented
from otcctl_lab.oracle_standin.rewrite import Rewrites, plan_rewrites
from otcctl_lab.oracle_standin.sqltokens import SelectItem, Token, select_list, significant, tokenize, words

FUNCTIONS = {
    "trunc": "otc_trunc", "round": "otc_round", "add_months": "otc_add_months", "to_char": "otc_to_char",
    "to_date": "otc_to_date", "to_number": "otc_to_number", "nvl": "otc_nvl", "decode": "otc_decode",
    "substr": "otc_substr", "replace": "otc_replace", "greatest": "max", "least": "min",
    "regexp_like": "otc_regexp_like",
}
SQLITE_SAME = frozenset({"count", "sum", "min", "max", "avg", "abs", "upper", "lower", "trim", "ltrim", "rtrim",
                         "length", "coalesce", "instr", "nullif"})
KEYWORDS = words(
    "select from where and or not in exists as on join inner left right full outer cross union all minus intersect "
    "group by order having with case when then else end is null like between distinct asc desc escape nulls first "
    "last unique"
)
NOT_EMULATED = words(
    "rowid level connect prior start systimestamp current_date current_timestamp localtimestamp over "
    "partition rollup cube sample model pivot unpivot dbtimezone sessiontimezone uid user date timestamp interval "
    "for"
)
NOT_ORACLE = {  # SQLite accepts these; Oracle 10g rejects them
    "limit": "ORA-00933", "offset": "ORA-00933", "fetch": "ORA-00933", "except": "ORA-00933",
    "glob": "ORA-00920", "regexp": "ORA-00920", "match": "ORA-00920", "isnull": "ORA-00933",
    "notnull": "ORA-00933", "true": "ORA-00904", "false": "ORA-00904", "collate": "ORA-00933",
}
_ORA_TEXT = {
    "ORA-00933": "SQL command not properly ended", "ORA-00920": "invalid relational operator",
    "ORA-00911": "invalid character", "ORA-00936": "missing expression",
}
_COMPARE = frozenset({"=", "<", ">", "<=", ">=", "<>", "!=", "^="})


@dataclass(frozen=True)
class Translated:
    """The SQLite text, the binds it uses, and what the select list says about its columns."""

    sql: str
    binds: tuple[str, ...]
    items: tuple[SelectItem, ...] | None
    tables: tuple[str, ...]


def translate(sql: str, schemas: frozenset[str], date_columns: frozenset[str]) -> Translated:
    """Rewrite a query for SQLite; :class:`OraError` for what Oracle would reject or we cannot do."""
    tokens = tokenize(sql)
    sig = significant(tokens)
    if not sig or sig[0].word not in ("select", "with"):
        raise unimplemented("any statement but a query (SELECT)", _at(sig[0]) if sig else None)
    _check_dates(sig, date_columns)
    listing = select_list(tokens)
    items: tuple[SelectItem, ...] | None = None
    if listing is not None:
        found, group_keys, has_from = listing
        if not has_from:
            raise OraError("ORA-00923", "FROM keyword not found where expected")
        _check_grouping(found, group_keys)
        items = tuple(found)
    context = _Context(schemas, plan_rewrites(tokens))
    text = _emit(tokens, 0, len(tokens), context) + context.plan.tail
    return Translated(text, tuple(dict.fromkeys(context.binds)), items, tuple(context.tables))


@dataclass
class _Context:
    schemas: frozenset[str]
    plan: Rewrites
    binds: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)


def _emit(tokens: list[Token], start: int, end: int, context: _Context, operand: bool = False) -> str:
    """SQLite text for ``tokens[start:end]``; ``||`` chains become otc_concat(...) calls."""
    out: list[str] = []
    index = start
    while index < end:
        if index in context.plan.before:
            out.append(context.plan.before[index])
        chain = None if operand and index == start else context.plan.chains.get(index)
        if chain is not None:
            parts = [_emit(tokens, a, b, context, operand=True) for a, b in chain]
            out.append(f"otc_concat({', '.join(parts)})")
            index = chain[-1][1]
            continue
        token = tokens[index]
        index += 1
        if index - 1 in context.plan.replace:
            out.append(context.plan.replace[index - 1])
        elif token.kind in ("ws", "comment"):
            out.append(token.text if token.kind == "ws" else " ")
        elif token.kind == "string":
            out.append("NULL" if token.text == "''" else token.text)
        elif token.kind in ("number", "qident"):
            out.append(token.text)
        elif token.kind == "bind":
            context.binds.append(token.text[1:].lower())
            out.append(token.text.lower())
        elif token.kind == "op":
            out.append(_operator(token, tokens, index))
        else:
            text, index = _identifier(token, tokens, index, context.schemas, context.tables)
            out.append(text)
    return "".join(out)


def _operator(token: Token, tokens: list[Token], index: int) -> str:
    text = token.text
    if text == "||":  # every chain was planned; one left over has no operands
        raise OraError("ORA-00936", _ORA_TEXT["ORA-00936"], position=_at(token))
    if text == "/":
        return "* 1.0 /"
    if text == "^=":
        return "!="
    if text == "(" and _next(tokens, index, 2) == ["+", ")"]:
        raise unimplemented("Oracle (+) outer joins", _at(token))
    if text == "==":
        raise OraError("ORA-00936", _ORA_TEXT["ORA-00936"], position=_at(token))
    if text in ("%", "[", "]", "`", "?", "&", "|", "{", "}", ";", "!", "^", "~", "@", "\\", "$", "#"):
        raise OraError("ORA-00911", _ORA_TEXT["ORA-00911"], position=_at(token))
    return text


def _identifier(token: Token, tokens: list[Token], index: int, schemas: frozenset[str],
                tables: list[str]) -> tuple[str, int]:
    word = token.word
    previous = _previous(tokens, index - 1)
    if previous == ".":
        return _quote(token.text), index
    following = _next(tokens, index, 2)
    if word in schemas and following and following[0] == ".":
        name_at = _skip_blank(tokens, _skip_blank(tokens, index) + 1)
        if name_at < len(tokens) and tokens[name_at].kind == "ident":
            table = f"{word}.{tokens[name_at].text.lower()}"
            tables.append(table)
            return f'"{table}"', name_at + 1
    if word.startswith("otcctl$"):  # the stand-in's own bookkeeping is no part of OTCDB
        raise OraError("ORA-00942", "table or view does not exist", position=_at(token))
    if word == "sysdate":
        return "otc_sysdate()", index
    if word == "minus":
        return "EXCEPT", index
    if word in NOT_ORACLE:
        code = NOT_ORACLE[word]
        text = _ORA_TEXT.get(code, f'"{word.upper()}": invalid identifier')
        raise OraError(code, text, position=_at(token))
    if word in NOT_EMULATED:
        raise unimplemented(word.upper(), _at(token))
    if following and following[0] == "(" and word not in KEYWORDS:
        if word in FUNCTIONS:
            return FUNCTIONS[word], index
        if word not in SQLITE_SAME:
            raise unimplemented(f"function {word.upper()} (or it does not exist)", _at(token))
    if word not in KEYWORDS:
        tables.append(word)
    return _quote(token.text), index


def _check_dates(sig: list[Token], date_columns: frozenset[str]) -> None:
    """A DATE next to a string literal: Oracle converts by NLS_DATE_FORMAT, SQLite would not."""
    for i, token in enumerate(sig):
        if token.text not in _COMPARE or i == 0 or i + 1 >= len(sig):
            continue
        left, right = sig[i - 1], sig[i + 1]
        for this, other in ((left, right), (right, left)):
            if this.kind == "string" and (other.word in date_columns or other.word == "sysdate"):
                raise unimplemented("comparing a DATE with a string (use TO_DATE)", _at(this))


def _check_grouping(items: list[SelectItem], group_keys: list[str]) -> None:
    if not group_keys and not any(item.aggregate for item in items):
        return
    for item in items:
        if item.aggregate or item.constant or item.expression_key() in group_keys:
            continue
        first = item.tokens[0]
        raise OraError("ORA-00979", "not a GROUP BY expression", position=_at(first))


def _quote(text: str) -> str:
    return f'"{text.lower()}"' if ("$" in text or "#" in text) else text


def _at(token: Token) -> tuple[int, int]:
    return (token.line, token.col)


def _skip_blank(tokens: list[Token], index: int) -> int:
    while index < len(tokens) and tokens[index].kind in ("ws", "comment"):
        index += 1
    return index


def _next(tokens: list[Token], index: int, count: int) -> list[str]:
    found: list[str] = []
    while index < len(tokens) and len(found) < count:
        if tokens[index].kind not in ("ws", "comment"):
            found.append(tokens[index].text)
        index += 1
    return found


def _previous(tokens: list[Token], index: int) -> str | None:
    index -= 1
    while index >= 0:
        if tokens[index].kind not in ("ws", "comment"):
            return tokens[index].text
        index -= 1
    return None
