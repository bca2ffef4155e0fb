"""Read a policy file (YAML) into policies, reporting every error with its line and field.

A policy file is a mapping with one key, `policies`: a list of policy nodes. Each node has an `id`
(snake_case; a child's id is its parent's id plus one dotted segment), a `title`, a `severity` from 1
to 4, `allowed_actions`, reviewer `guidance`, an optional `description`, its `dsa_category` (a key of
STATEMENT_CATEGORIES in the DSA Transparency Database) and optional `children`. A child that does not
give `allowed_actions` or `dsa_category` inherits its parent's.

The file is read with `yaml.compose`, not `yaml.safe_load`, so that every value keeps its line.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bastion.domain.policy import Action, Policy
from bastion.errors import FieldError, InvalidInput, NotFound
from bastion.yaml_document import did_you_mean, document_invalid, got, yaml_syntax_error

POLICY_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
MAX_ID_LENGTH = 128
MAX_TITLE_LENGTH = 256
SEVERITIES = range(1, 5)

FIELDS = ("id", "title", "severity", "allowed_actions", "guidance", "description", "dsa_category", "children")
REQUIRED = ("id", "title", "severity", "guidance")
# A top-level policy has no parent to inherit these from.
REQUIRED_AT_TOP = (*REQUIRED, "allowed_actions", "dsa_category")

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_DECIMAL = re.compile(r"[+-]?[0-9]+")
_ACTION_NAMES = frozenset(action.value for action in Action)
_DSA_PREFIX = "STATEMENT_CATEGORY_"


def default_taxonomy_path() -> Path:
    """The harm taxonomy shipped with Bastion."""
    return Path(__file__).with_name("taxonomy.yaml")


def default_policies() -> list[Policy]:
    """The policies of the shipped harm taxonomy."""
    return load_policy_file(default_taxonomy_path())


@cache
def dsa_statement_categories() -> Mapping[str, str]:
    """The DSA statement categories (`STATEMENT_CATEGORY_…` key → English label)."""
    raw = resources.files("bastion").joinpath("data/dsa/dsa_statement_enums.json").read_text("utf-8")
    categories: dict[str, str] = json.loads(raw)["enums"]["STATEMENT_CATEGORIES"]
    return MappingProxyType(categories)


def load_policy_file(path: str | os.PathLike[str]) -> list[Policy]:
    """Read and check one policy file.

    Raises `NotFound` if there is no such file, and `InvalidInput` with every error found otherwise.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise NotFound(f"no policy file at {source}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"policy file {source} is not UTF-8 text: {exc.reason}") from exc
    except OSError as exc:
        raise InvalidInput(f"policy file {source} cannot be read: {exc.strerror}") from exc
    return parse_policies(text, source)


def parse_policies(text: str, source: str) -> list[Policy]:
    """Parse policy YAML into policies, parents before their children.

    Raises `InvalidInput` carrying one `FieldError` (path, reason, line) per problem found: the whole
    file is checked, not just up to the first error.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise _failure(source, [yaml_syntax_error(exc, text)]) from None
    except RecursionError:
        raise _failure(source, [FieldError("", "the YAML is nested too deeply")]) from None
    reader = _PolicyReader()
    reader.read_document(root)
    if reader.errors:
        raise _failure(source, reader.errors)
    return reader.policies


def _failure(source: str, errors: list[FieldError]) -> InvalidInput:
    return document_invalid(f"policy file {source}", errors)


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _text(node: Node) -> str | None:
    if isinstance(node, ScalarNode) and node.tag == _STR:
        return str(node.value)
    return None


@dataclass(frozen=True)
class _Inherited:
    """What a child takes from its parent when it does not say; None when the parent's was invalid."""

    id: str | None
    allowed_actions: tuple[Action, ...] | None
    dsa_category: str | None


class _PolicyReader:
    """Walks the composed YAML, collecting policies and errors."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.policies: list[Policy] = []
        self._first_line: dict[str, int] = {}
        self._visited: set[int] = set()

    def error(self, path: str, message: str, node: Node) -> None:
        self.errors.append(FieldError(path, message, _line(node)))

    def read_document(self, root: Node | None) -> None:
        if root is None:
            self.errors.append(FieldError("", "the policy file is empty; expected a 'policies' list", 1))
            return
        if not isinstance(root, MappingNode):
            self.error("", f"a policy file is a mapping with a 'policies' list, got {got(root)}", root)
            return
        policies: Node | None = None
        policies_line = 0
        for key, value in root.value:
            if _text(key) != "policies":
                self.error("", f"unknown field {got(key)}; a policy file has only 'policies'", key)
            elif policies is not None:
                self.error("policies", f"duplicate field (first given on line {policies_line})", key)
            else:
                policies, policies_line = value, _line(key)
        if policies is None:
            self.error("policies", "missing required field", root)
        elif not isinstance(policies, SequenceNode):
            self.error("policies", f"must be a list of policies, got {got(policies)}", policies)
        elif not policies.value:
            self.error("policies", "must list at least one policy", policies)
        else:
            for index, item in enumerate(policies.value):
                self.read_policy(item, f"policies[{index}]", parent=None)

    def read_policy(self, node: Node, path: str, parent: _Inherited | None) -> None:
        if not isinstance(node, MappingNode):
            self.error(path, f"must be a mapping of policy fields, got {got(node)}", node)
            return
        if id(node) in self._visited:
            self.error(path, f"repeats the policy on line {_line(node)} through a YAML alias", node)
            return
        self._visited.add(id(node))
        fields, merged = self.read_fields(node, path)
        for name in REQUIRED_AT_TOP if parent is None else REQUIRED:
            # A merge key was already reported; its missing fields would only be noise.
            if name not in fields and not merged:
                self.error(f"{path}.{name}", "missing required field", node)

        policy_id = self.read_id(fields.get("id"), path, parent)
        title = self.read_title(fields.get("title"), path)
        severity = self.read_severity(fields.get("severity"), path)
        guidance = self.read_prose(fields.get("guidance"), f"{path}.guidance", required=True)
        description = self.read_prose(fields.get("description"), f"{path}.description", required=False)
        actions = self.read_actions(fields.get("allowed_actions"), path)
        category = self.read_dsa_category(fields.get("dsa_category"), path)
        if parent is not None:
            actions = actions if "allowed_actions" in fields else parent.allowed_actions
            category = category if "dsa_category" in fields else parent.dsa_category

        if (
            policy_id is not None
            and title is not None
            and severity is not None
            and guidance is not None
            and description is not None
            and actions is not None
            and category is not None
        ):
            self.policies.append(Policy(policy_id, title, severity, actions, guidance, category, description))

        children = fields.get("children")
        if children is None:
            return
        if not isinstance(children, SequenceNode):
            self.error(f"{path}.children", f"must be a list of policies, got {got(children)}", children)
            return
        inherited = _Inherited(policy_id, actions, category)
        for index, child in enumerate(children.value):
            self.read_policy(child, f"{path}.children[{index}]", parent=inherited)

    def read_fields(self, node: MappingNode, path: str) -> tuple[dict[str, Node], bool]:
        """The fields by name, and whether the mapping used a merge key."""
        fields: dict[str, Node] = {}
        first_line: dict[str, int] = {}
        merged = False
        for key, value in node.value:
            if key.tag == _MERGE:
                self.error(path, "merge keys ('<<') are not supported; write each field out", key)
                merged = True
                continue
            if not isinstance(key, ScalarNode):
                self.error(path, f"field names are plain words, got {got(key)}", key)
                continue
            name = str(key.value)
            if name in first_line:
                self.error(f"{path}.{name}", f"duplicate field (first given on line {first_line[name]})", key)
            elif name not in FIELDS:
                hint = did_you_mean(name, list(FIELDS))
                self.error(f"{path}.{name}", f"unknown field '{name}'{hint}", key)
            else:
                fields[name] = value
            first_line.setdefault(name, _line(key))
        return fields, merged

    def read_id(self, node: Node | None, path: str, parent: _Inherited | None) -> str | None:
        if node is None:
            return None
        where = f"{path}.id"
        value = _text(node)
        if value is None:
            self.error(where, f"must be a policy id such as 'hate_speech', got {got(node)}", node)
            return None
        if len(value) > MAX_ID_LENGTH or not POLICY_ID.fullmatch(value):
            self.error(
                where,
                f"must be lowercase words joined by '_', with '.' between levels "
                f"(at most {MAX_ID_LENGTH} characters), got {got(node)}",
                node,
            )
            return None
        if parent is None and "." in value:
            self.error(where, f"a top-level policy id has no '.', got '{value}'; nest it in children", node)
            return None
        if parent is not None and parent.id is not None:
            head, _, _ = value.rpartition(".")
            if head != parent.id:
                self.error(
                    where,
                    f"a child's id is its parent's id plus one segment ('{parent.id}.<name>'), got '{value}'",
                    node,
                )
                return None
        if value in self._first_line:
            self.error(
                where,
                f"duplicate policy id '{value}' (first defined on line {self._first_line[value]})",
                node,
            )
            return None
        self._first_line[value] = _line(node)
        return value

    def read_title(self, node: Node | None, path: str) -> str | None:
        if node is None:
            return None
        where = f"{path}.title"
        value = _text(node)
        if value is None:
            self.error(where, f"must be text, got {got(node)}", node)
            return None
        title = value.strip()
        if not title:
            self.error(where, "must not be empty", node)
        elif "\n" in title:
            self.error(where, "must be a single line", node)
        elif len(title) > MAX_TITLE_LENGTH:
            self.error(where, f"must be at most {MAX_TITLE_LENGTH} characters, got {len(title)}", node)
        else:
            return title
        return None

    def read_severity(self, node: Node | None, path: str) -> int | None:
        if node is None:
            return None
        value = str(node.value).strip() if isinstance(node, ScalarNode) else ""
        if isinstance(node, ScalarNode) and node.tag == _INT and _DECIMAL.fullmatch(value):
            severity = int(value)
            if severity in SEVERITIES:
                return severity
        self.error(f"{path}.severity", f"must be an integer from 1 to 4, got {got(node)}", node)
        return None

    def read_prose(self, node: Node | None, where: str, *, required: bool) -> str | None:
        """Guidance or description: text, trimmed, so that `|` and `|-` load the same."""
        if node is None:
            return None if required else ""
        value = _text(node)
        if value is None:
            self.error(where, f"must be text, got {got(node)}", node)
            return None
        prose = value.strip()
        if required and not prose:
            self.error(where, "must not be empty", node)
            return None
        return prose

    def read_actions(self, node: Node | None, path: str) -> tuple[Action, ...] | None:
        if node is None:
            return None
        where = f"{path}.allowed_actions"
        if not isinstance(node, SequenceNode):
            self.error(where, f"must be a list of actions, got {got(node)}", node)
            return None
        if not node.value:
            self.error(where, "must list at least one action", node)
            return None
        actions: list[Action] = []
        valid = True
        for index, item in enumerate(node.value):
            name = _text(item)
            if name is None or name not in _ACTION_NAMES:
                allowed = ", ".join(Action)
                shown = f"'{name}'" if name is not None else got(item)
                self.error(f"{where}[{index}]", f"unknown action {shown}; allowed: {allowed}", item)
                valid = False
            elif Action(name) in actions:
                self.error(f"{where}[{index}]", f"duplicate action '{name}'", item)
                valid = False
            else:
                actions.append(Action(name))
        return tuple(actions) if valid else None

    def read_dsa_category(self, node: Node | None, path: str) -> str | None:
        if node is None:
            return None
        categories = dsa_statement_categories()
        value = _text(node)
        if value is not None and value in categories:
            return value
        shown = f"'{value}'" if value is not None else got(node)
        hint = ""
        if value is not None:
            # Compare what follows the shared prefix, or every guess would look close.
            suffix = value.upper().removeprefix(_DSA_PREFIX)
            close = difflib.get_close_matches(suffix, [c.removeprefix(_DSA_PREFIX) for c in categories], n=1)
            hint = f"; did you mean '{_DSA_PREFIX}{close[0]}'?" if close else ""
        if not hint:
            hint = "; expected one of the STATEMENT_CATEGORY_… keys of the DSA Transparency Database"
        self.error(f"{path}.dsa_category", f"unknown DSA category {shown}{hint}", node)
        return None
