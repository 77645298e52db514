"""Load YAML while remembering where every value came from, so errors can name the line.

pydantic reports an error as a path of keys and indexes; :class:`SourceMap` turns that path
back into the line of the YAML text it came from. Duplicate keys, which PyYAML silently
accepts (the last one wins), are refused: in a runbook they are almost always a mistake.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from otcctl.errors import InputError, Problem
from otcctl.i18n import N_

_SECRET_KEYS = frozenset({"password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "passphrase"})


@dataclass(frozen=True)
class SourceMap:
    """Maps a pydantic error location (keys and indexes) to a line in the YAML file."""

    file: str
    root: yaml.Node | None

    def resolve(self, loc: Sequence[str | int]) -> tuple[int | None, tuple[str | int, ...]]:
        """Line of the deepest node the location reaches, and the location as the file spells it.

        pydantic inserts union tags and model names into locations; parts that match nothing
        in the file are dropped, except the last one, which names a missing field.
        """
        node = self.root
        if node is None:
            return None, tuple(loc)
        line = node.start_mark.line + 1
        matched: list[str | int] = []
        for index, part in enumerate(loc):
            child = _child(node, part)
            if child is None:
                if index == len(loc) - 1:
                    matched.append(part)
                continue
            key_node, node = child
            matched.append(part)
            line = (key_node or node).start_mark.line + 1
        return line, tuple(matched)

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """1-based line of the deepest node the location reaches (the parent when a key is missing)."""
        return self.resolve(loc)[0]

    def problem(self, loc: Sequence[str | int], message: str) -> Problem:
        """A :class:`Problem` for the location, with its line and a dotted field name."""
        line, matched = self.resolve(loc)
        return Problem(self.file, line, dotted(matched) or None, message)


def dotted(loc: Sequence[str | int]) -> str:
    """``('steps', 3, 'command')`` -> ``steps[3].command``, the way a YAML reader thinks of it."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None


# libyaml's C parser when PyYAML was built with it (about 15x faster here), the pure-Python one
# otherwise. Either way the nodes keep their line marks, and resolving scalars and constructing
# values stay in Python, so the YAML 1.2 rules and the refusals below apply to both.
if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):
    """SafeLoader that refuses duplicate keys and reads scalars the YAML 1.2 way.

    PyYAML follows YAML 1.1, where ``no`` is false, ``16:00`` is the number 960 and ``04`` is 4:
    a runbook's 序号 key ``no``, a clock time and a file type would silently change meaning.
    Here only ``true``/``false`` are booleans and only plain decimal digits are integers, as
    editors (yaml-language-server, YAML 1.2) read them.
    """


_StrictLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9]*)?\.[0-9]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str | int | float | bool) and key is not None:
            flow_mapping = isinstance(key_node, yaml.MappingNode) and key_node.flow_style
            problem = (
                N_("a value starting with '{{' must be quoted: write \"{{name}}\", not {{name}}")
                if flow_mapping
                else N_("a key must be a single word or number, not a list or mapping")
            )
            raise yaml.constructor.ConstructorError(None, None, problem, key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (first given on line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True)
class LoadedYaml:
    """The data of a YAML file with the map back to its lines."""

    data: Any
    source: SourceMap


def load_yaml(path: Path, *, text: str | None = None) -> LoadedYaml:
    """Read and parse a YAML file; any syntax problem becomes an :class:`InputError` with its line."""
    name = str(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError.at(name, N_("file not found")) from None
        except UnicodeDecodeError as exc:
            raise InputError.at(name, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
        except OSError as exc:
            raise InputError.at(name, f"cannot be read: {exc.strerror}") from None
    if len(text) > MAX_TEXT:
        raise InputError.at(name, f"{len(text)} characters; a runbook or inventory is at most {MAX_TEXT}")
    _refuse_deep_flow(name, text)
    try:
        root, data = _parse(name, text)
    except yaml.MarkedYAMLError as exc:
        raise InputError(_yaml_problem(name, text, exc)) from None
    except yaml.YAMLError as exc:
        raise InputError.at(name, f"not valid YAML: {exc}") from None
    except RecursionError:
        raise InputError.at(name, f"nested deeper than otcctl reads (at most {MAX_DEPTH} levels)") from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer of thousands of digits
        raise InputError.at(name, f"a value otcctl cannot read: {' '.join(str(exc).split())[:200]}") from None
    source = SourceMap(name, root)
    _refuse_literal_secrets(data, (), source)
    return LoadedYaml(data, source)


MAX_TEXT = 2_000_000
MAX_DEPTH = 64
MAX_NODES = 200_000


def _refuse_blowups(name: str, root: yaml.Node | None) -> None:
    """Refuse alias bombs (billion laughs), self-referring aliases and deep nesting before anything walks the data.

    Aliases share nodes in the composed graph; the size they would expand to is counted once
    per node (memoised), so a 420-byte bomb is measured in microseconds, not expanded. An alias
    inside its own anchor (``&a [*a]``) makes a cycle, which would never end expanding: refused.
    Scalars are leaves (size 1, depth 1) and never enter the walk.
    """
    if root is None or not isinstance(root.value, list):
        return
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, list[yaml.Node] | None]] = [(root, None)]
    while stack:
        node, kids = stack[-1]
        key = id(node)
        if kids is None:
            if key in size:
                stack.pop()
                continue
            kids = [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) else node.value
            stack[-1] = (node, kids)
            open_nodes.add(key)
            for kid in kids:
                if isinstance(kid.value, list) and id(kid) not in size:
                    if id(kid) in open_nodes:
                        raise InputError.at(name, N_("an alias refers to the anchor it is inside (a recursive alias)"),
                                            line=kid.start_mark.line + 1)
                    stack.append((kid, None))
            continue
        stack.pop()
        open_nodes.discard(key)
        if key in size:
            continue
        total, deepest = 1, 0
        for kid in kids:
            if isinstance(kid.value, list):
                total += size[id(kid)]
                deepest = max(deepest, depth[id(kid)])
            else:
                total += 1
                deepest = max(deepest, 1)
        size[key], depth[key] = total, deepest + 1
        if total > MAX_NODES:
            line = node.start_mark.line + 1
            raise InputError.at(name, f"expands to more than {MAX_NODES} values (aliases inside aliases?)", line=line)
        if deepest + 1 > MAX_DEPTH:
            raise InputError.at(name, f"nested deeper than {MAX_DEPTH} levels", line=node.start_mark.line + 1)


def _refuse_deep_flow(name: str, text: str) -> None:
    """``[[[[...`` a hundred thousand deep is refused from the text, before the parser recurses into it.

    Only brackets, braces and quotes matter; the scan jumps from one to the next.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:  # too few openers to nest that deep: no need to walk
        return
    depth = 0
    quote = ""
    for found in _FLOW_MARKS.finditer(text):
        char, index = found.group(), found.start()
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            if index == 0 or text[index - 1] in " \t\n[{,:":
                quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, index) + 1
                raise InputError.at(name, f"nested deeper than {MAX_DEPTH} levels", line=line)
        elif char in "]}":
            depth = max(0, depth - 1)


_FLOW_MARKS = re.compile(r"[\[\]{}\"']")


def _parse(name: str, text: str) -> tuple[yaml.Node | None, Any]:
    """One parse: the node tree (for lines) and the data constructed from that same tree.

    The tree is measured before anything is constructed from it: no alias bomb is expanded.
    """
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        _refuse_blowups(name, root)
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return root, data


def _yaml_problem(name: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    if mark is not None:
        lines = text.splitlines()
        bad = lines[mark.line] if mark.line < len(lines) else ""
        if "\t" in bad[: len(bad) - len(bad.lstrip())] or "'\\t'" in str(exc.problem):
            return Problem(name, line, None, N_("a tab is used for indentation; YAML indents with spaces only"))
    what = exc.problem or N_("syntax error")
    context = f" ({exc.context})" if exc.context else ""
    return Problem(name, line, None, f"YAML syntax error: {what}{context}")


def _refuse_literal_secrets(data: Any, loc: tuple[str | int, ...], source: SourceMap) -> None:
    """A password written into a file is refused outright, wherever it sits."""
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*loc, str(key))
            if str(key).lower() in _SECRET_KEYS and value not in (None, ""):
                raise InputError(
                    source.problem(
                        here,
                        N_("a literal secret is not allowed in a file; name where it comes from instead "
                           "(credential: {source: env, variable: ...} or {source: keyring, ...}, the SSH agent "
                           "or a key file)"),
                    )
                )
            _refuse_literal_secrets(value, here, source)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            _refuse_literal_secrets(item, (*loc, index), source)


def validation_problems(source: SourceMap, exc: Any, *, limit: int = 8) -> list[Problem]:
    """Turn a pydantic ``ValidationError`` into located problems in operator language."""
    problems: list[Problem] = []
    for err in exc.errors(include_url=False)[:limit]:
        loc = tuple(err["loc"])
        problems.append(source.problem(_clean_loc(loc), _message(err)))
    return problems


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (part.startswith("function-") or part in {"[key]"}):
            continue
        out.append(part)
    return tuple(out)


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return N_("unknown field (check its spelling against `otcctl schema`)")
    if kind == "missing":
        return N_("required field is missing")
    if kind == "union_tag_invalid":
        expected = err.get("ctx", {}).get("expected_tags", "")
        return f"unknown step kind {err['input'].get('kind')!r}; known kinds: {expected}"
    if kind == "union_tag_not_found":
        return N_("every step needs a 'kind' (shell, winrm, sql, port, file, service, reboot, manual, ...)")
    if err.get("input", "") is None and kind in {"model_type", "dict_type", "model_attributes_type"}:
        return N_("has no value: give it a mapping (for a parameter: description and default)")
    message = str(err["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    got = err.get("input")
    if kind not in {"value_error", "assertion_error"} and not isinstance(got, dict | list) and got is not None:
        message += f" (got {got!r})"
    return message
