"""The two Oracle constructs that need more than a word swapped: ``||`` chains and ROWNUM limits.

``a || b`` becomes ``otc_concat(a, b)`` because Oracle ignores NULL operands where SQLite's
``||`` turns the whole result NULL. The operands are found as SQL primaries (a name, literal,
bind, function call or parenthesised expression); next to ``+ - * /`` without parentheses the
two databases group differently, so that is refused rather than guessed.

``WHERE ... rownum = 1`` (or ``<= n``, ``< n``) becomes ``LIMIT`` on that query block, but only
where both mean the same: an AND-ed condition of a block with no OR, GROUP BY, ORDER BY or
set operator (Oracle numbers rows before sorting, LIMIT cuts after).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from otcctl_lab.oracle_standin.functions import OraError, unimplemented
from otcctl_lab.oracle_standin.sqltokens import Token

_ARITHMETIC = frozenset({"+", "-", "*", "/"})
_BLOCK_BREAKERS = frozenset({"or", "group", "order", "having", "union", "minus", "intersect", "connect"})
_NOT_FUNCTION = frozenset({"in", "exists", "and", "or", "not", "from", "as", "on", "select", "where", "when", "then",
                           "else", "like", "between", "is", "by", "over"})


@dataclass
class Rewrites:
    """Edits keyed by token index: concat chains (first token -> operand ranges) and replacements."""

    chains: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    replace: dict[int, str] = field(default_factory=dict)
    before: dict[int, str] = field(default_factory=dict)
    tail: str = ""


def plan_rewrites(tokens: list[Token]) -> Rewrites:
    """Find every ``||`` chain and every ROWNUM limit of the statement."""
    sig = [i for i, t in enumerate(tokens) if t.kind not in ("ws", "comment")]
    plan = Rewrites()
    _concat_chains(tokens, sig, plan)
    _rownum_limits(tokens, sig, plan)
    return plan


def _concat_chains(tokens: list[Token], sig: list[int], plan: Rewrites) -> None:
    k = 0
    while k < len(sig):
        if tokens[sig[k]].text != "||":
            k += 1
            continue
        first = _primary_before(tokens, sig, k - 1)
        operands = [(sig[first], sig[k - 1] + 1)]
        while k < len(sig) and tokens[sig[k]].text == "||":
            end = _primary_after(tokens, sig, k + 1)
            operands.append((sig[k + 1], sig[end] + 1))
            k = end + 1
        _check_neighbours(tokens, sig, first - 1, k)
        plan.chains[sig[first]] = operands


def _primary_before(tokens: list[Token], sig: list[int], k: int) -> int:
    """Position (in ``sig``) where the primary ending at ``k`` starts."""
    if k < 0:
        raise OraError("ORA-00936", "missing expression")
    token = tokens[sig[k]]
    if token.text == ")":
        k = _match_back(tokens, sig, k)
        if k > 0 and tokens[sig[k - 1]].kind == "ident" and tokens[sig[k - 1]].word not in _NOT_FUNCTION:
            k -= 1
    elif token.kind in ("ident", "qident"):
        if token.word == "end":
            raise unimplemented("|| with a CASE expression as operand", (token.line, token.col))
        while k >= 2 and tokens[sig[k - 1]].text == "." and tokens[sig[k - 2]].kind in ("ident", "qident"):
            k -= 2
    elif token.kind not in ("string", "number", "bind"):
        raise OraError("ORA-00936", "missing expression", position=(token.line, token.col))
    return k


def _primary_after(tokens: list[Token], sig: list[int], k: int) -> int:
    """Position (in ``sig``) where the primary starting at ``k`` ends."""
    if k >= len(sig):
        raise OraError("ORA-00936", "missing expression")
    token = tokens[sig[k]]
    if token.text in ("-", "+"):
        return _primary_after(tokens, sig, k + 1)
    if token.text == "(":
        return _match_forward(tokens, sig, k)
    if token.kind in ("ident", "qident"):
        if token.word == "case":
            raise unimplemented("|| with a CASE expression as operand", (token.line, token.col))
        if k + 1 < len(sig) and tokens[sig[k + 1]].text == "(":
            return _match_forward(tokens, sig, k + 1)
        while k + 2 < len(sig) and tokens[sig[k + 1]].text == "." and tokens[sig[k + 2]].kind in ("ident", "qident"):
            k += 2
        return k
    if token.kind in ("string", "number", "bind"):
        return k
    raise OraError("ORA-00936", "missing expression", position=(token.line, token.col))


def _check_neighbours(tokens: list[Token], sig: list[int], before: int, after: int) -> None:
    """Oracle gives || the rank of + and -, SQLite ranks it above * and /: refuse mixtures."""
    for k in (before, after):
        if 0 <= k < len(sig) and tokens[sig[k]].text in _ARITHMETIC:
            token = tokens[sig[k]]
            raise unimplemented("|| next to + - * / without parentheses", (token.line, token.col))


def _rownum_limits(tokens: list[Token], sig: list[int], plan: Rewrites) -> None:
    for k, index in enumerate(sig):
        token = tokens[index]
        if token.word != "rownum":
            continue
        where = (token.line, token.col)
        shape = [tokens[sig[j]].text.lower() for j in (k - 1, k + 1, k + 2, k + 3) if 0 <= j < len(sig)]
        if len(shape) < 3 or shape[0] not in ("where", "and") or shape[1] not in ("=", "<=", "<"):
            raise unimplemented("ROWNUM other than 'WHERE/AND rownum = 1, <= n or < n'", where)
        if len(shape) == 4 and shape[3] not in ("and", ")"):
            raise unimplemented("ROWNUM other than 'WHERE/AND rownum = 1, <= n or < n'", where)
        number = tokens[sig[k + 2]]
        if number.kind != "number" or not number.text.isdigit():
            raise unimplemented("ROWNUM compared with anything but a whole number", where)
        limit = {"=": 1 if number.text == "1" else -1, "<=": int(number.text), "<": int(number.text) - 1}[shape[1]]
        if limit < 0:
            raise unimplemented(f"rownum = {number.text}", where)
        end = _block_end(tokens, sig, k)
        plan.replace[index] = "1"
        plan.replace[sig[k + 1]] = "="
        plan.replace[sig[k + 2]] = "1"
        text = f" LIMIT {max(limit, 0)}"
        if end < len(sig):
            plan.before[sig[end]] = text
        else:
            plan.tail = text


def _block_end(tokens: list[Token], sig: list[int], k: int) -> int:
    """Position of the ``)`` closing the query block around ``k`` (or len(sig)); refuse unsafe blocks."""
    depth = 0
    start = k
    while start > 0:  # back to this block's SELECT
        text = tokens[sig[start]].text
        depth += text == ")"
        depth -= text == "("
        if depth < 0:
            break
        start -= 1
    depth = 0
    for j in range(start + 1, len(sig)):
        token = tokens[sig[j]]
        depth += token.text == "("
        depth -= token.text == ")"
        if depth < 0:
            return j
        if depth == 0 and token.word in _BLOCK_BREAKERS:
            raise unimplemented(f"ROWNUM in a query with {token.word.upper()}", (token.line, token.col))
    return len(sig)


def _match_back(tokens: list[Token], sig: list[int], k: int) -> int:
    depth = 0
    while k >= 0:
        depth += tokens[sig[k]].text == ")"
        depth -= tokens[sig[k]].text == "("
        if depth == 0:
            return k
        k -= 1
    raise OraError("ORA-00907", "missing right parenthesis")


def _match_forward(tokens: list[Token], sig: list[int], k: int) -> int:
    depth = 0
    while k < len(sig):
        depth += tokens[sig[k]].text == "("
        depth -= tokens[sig[k]].text == ")"
        if depth == 0:
            return k
        k += 1
    raise OraError("ORA-00907", "missing right parenthesis")
