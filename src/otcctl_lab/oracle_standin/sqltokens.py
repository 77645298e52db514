"""Oracle SQL as tokens, and what the select list says: headings, plain columns, grouping.

The stand-in never parses SQL fully; it needs only the tokens (to rewrite names and refuse
what it cannot emulate) and the top-level select list (to name the columns the way Oracle
does, ``COUNT(*)`` and all, and to refuse a non-grouped column as Oracle's ORA-00979 would,
where SQLite would silently pick a value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from otcctl_lab.oracle_standin.functions import OraError

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<comment>--[^\n]*|/\*.*?\*/)
      | (?P<string>'(?:[^']|'')*')
      | (?P<qident>"[^"\n]*")
      | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<bind>:[A-Za-z][A-Za-z0-9_$\#]*)
      | (?P<ident>[A-Za-z][A-Za-z0-9_$\#]*)
      | (?P<op>\|\||<=|>=|<>|!=|\^=|==|.)""",
    re.VERBOSE | re.DOTALL,
)
AGGREGATES = frozenset({"count", "sum", "min", "max", "avg"})
_SAME_TYPE = frozenset({"min", "max", "upper", "lower", "trim", "ltrim", "rtrim"})
_CLAUSE_END = frozenset({"group", "having", "order", "union", "minus", "intersect"})


@dataclass(frozen=True)
class Token:
    """One lexical token of the statement and where it starts (line and column from 1)."""

    kind: str
    text: str
    line: int
    col: int

    @property
    def word(self) -> str:
        """Lower-case text of an identifier ('' for anything else), for keyword tests."""
        return self.text.lower() if self.kind == "ident" else ""


def tokenize(sql: str) -> list[Token]:
    """All tokens including blanks and comments, so that the statement can be rebuilt."""
    tokens: list[Token] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(sql):
        if sql.startswith("'", pos) and not re.compile(r"'(?:[^']|'')*'").match(sql, pos):
            raise OraError("ORA-01756", "quoted string not properly terminated", position=(line, pos - line_start + 1))
        if sql.startswith('"', pos) and not re.compile(r'"[^"\n]*"').match(sql, pos):
            raise OraError("ORA-01740", "missing double quote in identifier", position=(line, pos - line_start + 1))
        match = _TOKEN.match(sql, pos)
        assert match is not None and match.lastgroup is not None
        text = match.group(0)
        tokens.append(Token(match.lastgroup, text, line, pos - line_start + 1))
        newlines = text.count("\n")
        if newlines:
            line += newlines
            line_start = pos + text.rfind("\n") + 1
        pos = match.end()
    return tokens


def words(text: str) -> frozenset[str]:
    """A set of lower-case words written as one string (keyword lists)."""
    return frozenset(text.split())


def significant(tokens: list[Token]) -> list[Token]:
    """The tokens without blanks and comments."""
    return [t for t in tokens if t.kind not in ("ws", "comment")]


@dataclass(frozen=True)
class SelectItem:
    """One expression of the top-level select list."""

    tokens: tuple[Token, ...]
    heading: str
    source_column: str | None  # the column name when the item is a plain column reference
    aggregate: bool
    constant: bool

    def expression_key(self) -> str:
        """The expression without its alias, normalised for comparison with GROUP BY items."""
        return _normal(self._expression())

    def _expression(self) -> tuple[Token, ...]:
        toks = self.tokens
        if len(toks) >= 2 and _is_name(toks[-1]) and not _continues(toks[-2]):
            toks = toks[:-2] if toks[-2].word == "as" else toks[:-1]
        return toks


def select_list(tokens: list[Token]) -> tuple[list[SelectItem], list[str], bool] | None:
    """Items of the top-level SELECT, the GROUP BY keys, and whether FROM was found.

    None when the list has a ``*``: then SQLite's own column names are used.
    """
    sig = significant(tokens)
    depth, start = 0, None
    for index, token in enumerate(sig):
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif depth == 0 and token.word == "select":
            start = index + 1
            break
    if start is None:
        return [], [], False
    while start < len(sig) and sig[start].word in ("distinct", "unique", "all"):
        start += 1
    items: list[list[Token]] = [[]]
    depth, end, has_from = 0, len(sig), False
    for index in range(start, len(sig)):
        token = sig[index]
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        if depth == 0 and token.word in ("from", *_CLAUSE_END):
            end, has_from = index, token.word == "from"
            break
        if depth == 0 and token.text == ",":
            items.append([])
        else:
            items[-1].append(token)
    if any(t.text == "*" and (i == 0 or item[i - 1].text == ".") for item in items for i, t in enumerate(item)):
        return None
    group_keys = _group_by(sig, end)
    return [_item(tuple(item)) for item in items if item], group_keys, has_from


def _group_by(sig: list[Token], start: int) -> list[str]:
    depth, inside = 0, False
    keys: list[str] = []
    current: list[Token] = []
    for index in range(start, len(sig)):
        token = sig[index]
        depth += token.text == "("
        depth -= token.text == ")"
        if depth == 0 and token.word == "group" and index + 1 < len(sig) and sig[index + 1].word == "by":
            inside = True
            continue
        if not inside or (token.word == "by" and not current):
            continue
        if depth == 0 and token.word in _CLAUSE_END:
            break
        if depth == 0 and token.text == ",":
            keys.append(_normal(tuple(current)))
            current = []
        else:
            current.append(token)
    if current:
        keys.append(_normal(tuple(current)))
    return keys


def _item(tokens: tuple[Token, ...]) -> SelectItem:
    expression = tokens
    alias: Token | None = None
    if len(tokens) >= 2 and _is_name(tokens[-1]) and not _continues(tokens[-2]):
        alias = tokens[-1]
        expression = tokens[:-2] if tokens[-2].word == "as" else tokens[:-1]
    plain = _plain_column(expression)
    if alias is not None:
        heading = _name(alias)
    elif plain is not None:
        heading = _name(expression[-1])
    else:
        heading = "".join(t.text if t.kind in ("string", "qident") else t.text.upper() for t in expression)
    aggregate = any(
        t.word in AGGREGATES and i + 1 < len(expression) and expression[i + 1].text == "("
        for i, t in enumerate(expression)
    )
    constant = all(
        t.kind in ("string", "number", "bind", "op")
        or t.word in ("sysdate", "null")
        or (t.kind == "ident" and i + 1 < len(expression) and expression[i + 1].text == "(")
        for i, t in enumerate(expression)
    )
    source = plain or _wrapped_column(expression)
    return SelectItem(tokens, heading, source.lower() if source else None, aggregate, constant)


def _wrapped_column(expression: tuple[Token, ...]) -> str | None:
    """MIN(col), UPPER(col) and the like keep the column's type, hence its display width."""
    if len(expression) >= 4 and expression[0].word in _SAME_TYPE and expression[1].text == "(" \
            and expression[-1].text == ")":
        return _plain_column(expression[2:-1])
    return None


def _plain_column(expression: tuple[Token, ...]) -> str | None:
    if len(expression) == 1 and _is_name(expression[0]):
        return expression[0].text.strip('"')
    if len(expression) == 3 and _is_name(expression[0]) and expression[1].text == "." and _is_name(expression[2]):
        return expression[2].text.strip('"')
    return None


def _is_name(token: Token) -> bool:
    return token.kind == "qident" or (token.kind == "ident" and token.word not in _RESERVED)


def _continues(token: Token) -> bool:
    """Whether a name after this token is part of the expression rather than an alias."""
    return (token.kind == "op" and token.text != ")") or token.word in _RESERVED - {"as", "end", "null"}


def _name(token: Token) -> str:
    return token.text[1:-1] if token.kind == "qident" else token.text.upper()


def _normal(tokens: tuple[Token, ...]) -> str:
    text = "".join(t.text if t.kind in ("string", "qident") else t.text.lower() for t in tokens)
    return text.split(".")[-1] if re.fullmatch(r"[a-z][a-z0-9_$#]*\.[a-z][a-z0-9_$#]*", text) else text


_RESERVED = words(
    "select from where and or not in exists as on join inner left right full outer cross union all minus "
    "intersect group by order having with case when then else end is null like between distinct asc desc "
    "escape nulls first last unique prior"
)
