"""Checking a rule's condition (its CEL `when`) before it runs: syntax, the fields it reads, its type.

Pure: an expression and the context it will run against (`bastion.detect.fields.context_fields`) in,
problems out, each at a character offset inside the expression (`checking.py` turns offsets into the
file's lines and columns).

- Syntax is CEL's own parser (`cel.compile`): its error says `<input>:LINE:COLUMN: …` in the
  expression; the first syntax error is reported, in Bastion's words (the parser's later errors are
  mostly echoes of the first).
- Fields: the CEL bindings expose no syntax tree, so the expression is tokenised here (string literals,
  comments and numbers skipped) and every path of names is followed: `content.text`,
  `signals.keyword.slurs.hit`, `signals.keyword["slurs"]`. A name bound by a macro (`all`, `exists`,
  `exists_one`, `map`, `filter`) is the macro's own variable inside its parentheses, not a context
  field; a name followed by `(` is a function; a path stops at a method call or a computed index.
  `actor.attributes` is open: any key may be read there.
- Type: a condition must be true or false. Without a type checker only the plain cases are caught: a
  bare literal, arithmetic, or a single field that is not a bool.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import cel

from bastion.detect.fields import ANY_MAP, BOOL, Field, Group

MAX_CONDITION_LENGTH = 10_000
MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
# CEL's literals, the `in` operator, its reserved words and type names: never a variable.
RESERVED = frozenset(
    {"true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if"}
    | {"import", "let", "loop", "package", "namespace", "return", "var", "void", "while"}
    # Type names, as in `type(actor.attributes.age) == int`.
    | {"int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type", "dyn"}
)
_ERROR = re.compile(r"ERROR: <input>:(\d+):(\d+): ([^\n]*)")
_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*)
    | (?P<string>[rRbB]{0,2}
        (?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
    | (?P<number>0[xX][0-9a-fA-F]+[uU]?|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[uU]?)
    | (?P<ident>[_a-zA-Z][_a-zA-Z0-9]*)
    | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:.,\[\](){}])
    """,
    re.VERBOSE,
)
_COMPARISONS = frozenset({"&&", "||", "==", "!=", "<", "<=", ">", ">=", "in", "?", "!"})
_ARITHMETIC = frozenset({"+", "-", "*", "/", "%"})
_OPEN, _CLOSE = "([{", ")]}"
_KIND_OF_VALUE = {
    "string": "a string",
    "int": "a whole number",
    "double": "a number",
    "google.protobuf.Timestamp": "a time",
    "list(string)": "a list of strings",
}


def shown(written: str, limit: int = 60) -> str:
    """A name as written, cut short: messages repeat what was written, never pages of it."""
    return written if len(written) <= limit else written[: limit - 3] + "..."


def _a(cel_type: str) -> str:
    return _KIND_OF_VALUE.get(cel_type, f"of type {cel_type}")


@dataclass(frozen=True)
class ConditionProblem:
    offset: int  # where, in characters from the start of the expression
    message: str


@dataclass(frozen=True)
class _Token:
    kind: str  # string, number, ident or op
    text: str
    offset: int


def check_condition(expression: str, context: Group) -> list[ConditionProblem]:
    """Every problem found in one condition; empty when it parses, reads only known fields and is not
    plainly something other than true or false."""
    if not expression.strip():
        return [ConditionProblem(0, "the condition is empty")]
    if len(expression) > MAX_CONDITION_LENGTH:
        return [ConditionProblem(0, f"the condition must be at most {MAX_CONDITION_LENGTH:,} characters")]
    try:
        cel.compile(expression)
    except ValueError as exc:
        return [_syntax_problem(expression, str(exc))]
    tokens = _tokens(expression)
    found = reading(expression)
    if tokens is None or found is None:  # the parser took what this tokeniser cannot read: leave it to the parser
        return []
    problems = _field_problems(found, context)
    if not problems:
        problems.extend(_type_problems(tokens, context))
    return problems


def _syntax_problem(expression: str, message: str) -> ConditionProblem:
    found = _ERROR.findall(message)
    syntax = [f for f in found if f[2].startswith("Syntax error:")] or found
    if not syntax:
        return ConditionProblem(0, "invalid condition: CEL cannot read it")
    line, column, text = syntax[0]
    return ConditionProblem(_offset(expression, int(line), int(column)), "invalid condition: " + _in_our_words(text))


def _offset(expression: str, line: int, column: int) -> int:
    lines = expression.split("\n")
    before = sum(len(text) + 1 for text in lines[: max(line - 1, 0)])
    return min(before + max(column - 1, 0), len(expression))


def _in_our_words(text: str) -> str:
    reason = text.removeprefix("Syntax error: ")
    if "Recursion limit" in reason:
        return "nested too deeply"
    if reason.startswith("mismatched input '<EOF>'"):
        return "it ends too early (an operand or a closing bracket is missing)"
    for prefix, say in (
        ("token recognition error at: ", "unexpected character(s) {}"),
        ("extraneous input ", "unexpected {}"),
        ("mismatched input ", "unexpected {}"),
        ("no viable alternative at input ", "cannot read {} here"),
    ):
        if reason.startswith(prefix):
            quoted = reason.removeprefix(prefix).split(" expecting", 1)[0]
            return say.format(quoted)
    return reason


def _tokens(expression: str) -> list[_Token] | None:
    tokens: list[_Token] = []
    at = 0
    while at < len(expression):
        found = _TOKEN.match(expression, at)
        if found is None or found.end() == at:
            return None
        kind = found.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, found.group(), at))
        at = found.end()
    return tokens


def _text_at(tokens: Sequence[_Token], index: int) -> str:
    return tokens[index].text if 0 <= index < len(tokens) else ""


def _string_value(literal: str) -> str | None:
    """The value of a plain string literal used as a key (`"slurs"`), or None for anything fancier."""
    found = re.fullmatch(r"""(["'])([^"'\\]*)\1""", literal)
    return found.group(2) if found else None


@dataclass(frozen=True)
class _Segment:
    name: str
    offset: int
    end: int  # where the segment's text ends: after `name`, or after the `]` of `["name"]`


@dataclass(frozen=True)
class ContextPath:
    """A path of names read from the context (`signals.keyword["slurs"].hit`), where it is written, and
    whether it is the argument of `has(…)` (which needs a field selection, not a value)."""

    segments: tuple[_Segment, ...]
    in_has: bool

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(segment.name for segment in self.segments)

    @property
    def start(self) -> int:
        return self.segments[0].offset


@dataclass(frozen=True)
class Reading:
    """What an expression reads: its context paths, and the names its macros bind (name, offset)."""

    paths: list[ContextPath]
    macro_variables: list[tuple[str, int]]


def reading(expression: str) -> Reading | None:
    """The context paths of an expression, outside string literals and comments, leaving out functions,
    reserved words and the variables macros bind; None when the tokeniser cannot read the expression."""
    tokens = _tokens(expression)
    if tokens is None:
        return None
    paths: list[ContextPath] = []
    variables: list[tuple[str, int]] = []
    bound: list[tuple[str, int]] = []  # macro variables in scope, with the depth their parentheses close at
    depth = 0
    for index, token in enumerate(tokens):
        if token.text in _OPEN and token.kind == "op":
            depth += 1
            continue
        if token.text in _CLOSE and token.kind == "op":
            bound = [(name, close) for name, close in bound if close != depth]
            depth -= 1
            continue
        if token.kind != "ident":
            continue
        after = _text_at(tokens, index + 1)
        if _text_at(tokens, index - 1) == ".":
            if token.text in MACROS and after == "(":
                found = _macro_variables(tokens, index + 2, depth + 1)
                bound.extend((name, close) for name, close, _ in found)
                variables.extend((name, offset) for name, _, offset in found)
            continue
        if after == "(" or token.text in RESERVED or any(name == token.text for name, _ in bound):
            continue
        in_has = _text_at(tokens, index - 1) == "(" and _text_at(tokens, index - 2) == "has"
        paths.append(ContextPath(tuple(_path_at(tokens, index)), in_has))
    return Reading(paths, variables)


def _path_at(tokens: Sequence[_Token], start: int) -> list[_Segment]:
    """The names of the path that starts at `tokens[start]`: `.name` and `["name"]`, up to a method call
    or anything else."""
    first = tokens[start]
    segments = [_Segment(first.text, first.offset, first.offset + len(first.text))]
    at = start + 1
    while at < len(tokens):
        if _text_at(tokens, at) == "." and at + 1 < len(tokens) and tokens[at + 1].kind == "ident":
            if _text_at(tokens, at + 2) == "(":
                break  # a method: content.text.contains("x")
            name = tokens[at + 1]
            segments.append(_Segment(name.text, name.offset, name.offset + len(name.text)))
            at += 2
        elif _text_at(tokens, at) == "[" and at + 2 < len(tokens) and tokens[at + 1].kind == "string":
            key = _string_value(tokens[at + 1].text)
            if key is None or _text_at(tokens, at + 2) != "]":
                break
            segments.append(_Segment(key, tokens[at + 1].offset, tokens[at + 2].offset + 1))
            at += 3
        else:
            break
    return segments


def _field_problems(found: Reading, context: Group) -> list[ConditionProblem]:
    problems = [
        ConditionProblem(offset, f"a macro variable may not be named '{name}': it would hide the {name}")
        for name, offset in found.macro_variables
        if name in context.fields
    ]
    for path in found.paths:
        problem = _path_problem(path.segments, context)
        if problem is not None:
            problems.append(problem)
    return sorted(problems, key=lambda problem: problem.offset)


def _macro_variables(tokens: Sequence[_Token], at: int, close: int) -> list[tuple[str, int, int]]:
    """`x` in `list.exists(x, …)`, and `i, v` in the three-argument `map(i, v, …)`: each name, the depth
    its parentheses close at, and its offset."""
    names: list[tuple[str, int, int]] = []
    while at + 1 < len(tokens) and tokens[at].kind == "ident" and _text_at(tokens, at + 1) == ",":
        names.append((tokens[at].text, close, tokens[at].offset))
        at += 2
    return names


def _path_problem(segments: Sequence[_Segment], context: Group) -> ConditionProblem | None:
    node: Field | Group = context
    for position, segment in enumerate(segments):
        written = ".".join(s.name for s in segments[: position + 1])
        if isinstance(node, Field):
            if node.type == ANY_MAP:
                return None  # open: any key may be read
            parent = ".".join(s.name for s in segments[:position])
            return ConditionProblem(segment.offset, f"{parent} is {_a(node.type)}: it has no field '{segment.name}'")
        child = node.fields.get(segment.name)
        if child is None:
            return ConditionProblem(segment.offset, _unknown(segments[:position], segment.name, node, written))
        node = child
    return None


def _unknown(parents: Sequence[_Segment], name: str, group: Group, written: str) -> str:
    names = sorted(group.fields)
    where = [s.name for s in parents]
    if not where:
        return f"unknown variable '{shown(name)}'; a rule reads {', '.join(names[:-1])} and {names[-1]}"
    if where == ["signals", "keyword"] or where == ["signals", "regex"]:
        kind = where[1]
        known = f"; {kind} banks: {', '.join(names)}" if names else f"; there are no {kind} banks yet"
        return f"no {kind} bank named '{shown(name)}'{_did_you_mean(name, names) or known}"
    if where == ["signals"]:
        return f"unknown signal '{shown(name)}'{_did_you_mean(name, names)}; signals: {', '.join(names)}"
    return f"unknown field '{shown(written)}'{_did_you_mean(name, names, '.'.join(where) + '.')}"


def _did_you_mean(word: str, choices: Sequence[str], prefix: str = "") -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{prefix}{close[0]}'?" if close else ""


def _type_problems(tokens: Sequence[_Token], context: Group) -> list[ConditionProblem]:
    """The plain ways a condition is not true-or-false: a literal, arithmetic, one field of another type."""
    inner = list(tokens)
    while len(inner) > 2 and inner[0].text == "(" and _closing(inner, 0) == len(inner) - 1:
        inner = inner[1:-1]
    top = _top_level(inner)
    if any(t.text in _COMPARISONS for t in top) or not inner:
        return []
    first = inner[0]
    if any(t.text in _ARITHMETIC for t in top[1:]):
        return [ConditionProblem(first.offset, "the condition is arithmetic; it must be true or false")]
    if len(inner) == 1 and first.kind in ("string", "number"):
        what = "a string" if first.kind == "string" else "a number"
        return [ConditionProblem(first.offset, f"the condition is {what}; it must be true or false")]
    if first.text in ("[", "{") and _closing(inner, 0) == len(inner) - 1:
        what = "a list" if first.text == "[" else "a map"
        return [ConditionProblem(first.offset, f"the condition is {what}; it must be true or false")]
    if first.kind == "ident" and first.text not in RESERVED and _text_at(inner, 1) != "(":
        segments = _path_at(inner, 0)
        if 2 * len(segments) - 1 == len(inner):  # the whole condition is one dotted path
            leaf = _leaf(segments, context)
            if isinstance(leaf, Group):
                return [ConditionProblem(first.offset, "the condition is a group of fields; it must be true or false")]
            if leaf is not None and leaf.type not in (BOOL, ANY_MAP):
                return [ConditionProblem(first.offset, f"the condition is {_a(leaf.type)}; it must be true or false")]
    return []


def _closing(tokens: Sequence[_Token], at: int) -> int:
    depth = 0
    for index in range(at, len(tokens)):
        if tokens[index].kind == "op" and tokens[index].text in _OPEN:
            depth += 1
        elif tokens[index].kind == "op" and tokens[index].text in _CLOSE:
            depth -= 1
            if depth == 0:
                return index
    return -1


def _top_level(tokens: Sequence[_Token]) -> list[_Token]:
    top: list[_Token] = []
    depth = 0
    for token in tokens:
        if token.kind == "op" and token.text in _OPEN:
            depth += 1
        elif token.kind == "op" and token.text in _CLOSE:
            depth -= 1
        elif depth == 0:
            top.append(token)
    return top


def _leaf(segments: Sequence[_Segment], context: Group) -> Field | Group | None:
    node: Field | Group = context
    for segment in segments:
        if isinstance(node, Field):
            return None
        found = node.fields.get(segment.name)
        if found is None:
            return None
        node = found
    return node
