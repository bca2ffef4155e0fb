"""YAML documents written by people (policies, review configuration): errors carry line and field."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bastion.errors import FieldError, InvalidInput
from bastion.ingest.validation import json_path, message_of

Model = TypeVar("Model", bound=BaseModel)
Location = tuple[str | int, ...]  # where a value is in a document: ("queues", 2, "name")


STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"


def got(node: Node) -> str:
    """How a wrong value is shown back to whoever wrote the document."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == NULL_TAG:
        return "nothing"
    value = str(node.value)
    shown = value if len(value) <= 40 else value[:37] + "..."
    return repr(shown) if node.tag == STR_TAG else shown


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """ "; did you mean 'x'?" for the closest of `choices`, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def yaml_syntax_error(exc: yaml.YAMLError, text: str) -> FieldError:
    """A YAML parse error as a FieldError with the line it happened on."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        character = chr(exc.character) if isinstance(exc.character, int) else exc.character
        return FieldError("", f"invalid YAML: unacceptable character {character!r}: {exc.reason}", line)
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "malformed YAML"
        if exc.context and exc.context_mark is not None:
            problem += f" ({exc.context} on line {exc.context_mark.line + 1})"
        elif exc.context:
            problem += f" ({exc.context})"
        return FieldError("", f"invalid YAML: {problem}", mark.line + 1 if mark else None)
    return FieldError("", f"invalid YAML: {exc}")


def _line_of(root: Node | None, loc: Sequence[str | int]) -> int | None:
    """The line of the deepest node along `loc` that exists in the document."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        child: Node | None = None
        if isinstance(node, MappingNode) and isinstance(part, str):
            child = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == part), None)
            if child is None:
                break
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
        else:
            break
        node, line = child, child.start_mark.line + 1
    return line


def validate_yaml(
    model: type[Model],
    text: str,
    source: str,
    cross_checks: Callable[[object], Sequence[tuple[Location, str]]] | None = None,
) -> Model:
    """Parse and validate a YAML document; raises InvalidInput listing every bad field with its line.

    `cross_checks` reads the parsed document for problems that span fields (a name used twice, a
    reference to nothing). Pydantic runs a model's own such checks only once every field is valid;
    run over the document, they are reported in the same pass as the field errors. The model keeps
    its validator for models built in code; its one message without a field is then dropped here.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source} is not valid YAML", [yaml_syntax_error(exc, text)]) from exc
    document = data if data is not None else {}
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        errors = []
        for detail in exc.errors(include_url=False, include_input=False):
            loc = [p for p in detail["loc"] if isinstance(p, str | int)]
            if cross_checks is not None and not loc and detail["type"] == "value_error":
                continue
            errors.append(FieldError(json_path("", loc), message_of(detail), line=_line_of(root, loc)))
        for cross_loc, message in cross_checks(document) if cross_checks is not None else ():
            errors.append(FieldError(json_path("", cross_loc), message, line=_line_of(root, cross_loc)))
        raise document_invalid(source, errors) from exc


def document_invalid(source: str, errors: list[FieldError]) -> InvalidInput:
    """Every error of a document people wrote, in line order, under one message naming the file."""
    ordered = sorted(errors, key=lambda e: e.line or 0)
    noun = "error" if len(ordered) == 1 else "errors"
    return InvalidInput(f"{source} has {len(ordered)} {noun}", ordered)
