"""Checking a rule file like a compiler: every error in one pass, each as `FILE:LINE:COLUMN: message`.

The file is read with `yaml.compose`, so every value keeps its position. Each rule's shape is checked
(known keys, types, names, modes), every name it refers to is looked up in what the store knows
(`KnownNames`: queues, the escalation queue, policies and the actions they allow, banks, plug-in
signal groups), and its condition is checked by `conditions.py`, whose offsets inside the expression
are mapped back to the file: a condition can be written plain, quoted, or as a `|` or `>` block, and
its problems point at the character in the file either way.

`check_rules` only reports; `parse_checked` returns the rules or raises `RulesDoNotCheck` (an
`InvalidInput`) carrying every diagnostic. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bastion.detect.conditions import check_condition, shown
from bastion.detect.fields import Group, context_fields
from bastion.detect.rules import (
    LABEL_NAME,
    RULE_NAME,
    Effect,
    Rule,
    RuleSet,
    make_rule,
    parse_duration,
)
from bastion.detect.scalar_positions import LinePositions, value_indexes
from bastion.domain.detect import BankKind, EffectKind, EntityType, RuleMode
from bastion.errors import ConfigurationError, FieldError, InvalidInput
from bastion.store.schema import Bank
from bastion.yaml_document import did_you_mean, got

RULE_KEYS = ("name", "description", "owner", "mode", "policy", "when", "then")
REQUIRED_RULE_KEYS = ("name", "mode", "when", "then")
EFFECT_KEYS: Mapping[EffectKind, tuple[str, ...]] = {
    EffectKind.ENQUEUE: ("queue", "policy", "priority"),
    EffectKind.ACT: ("action", "policy"),
    EffectKind.LABEL: ("entity", "label", "expires_in"),
    EffectKind.ESCALATE: ("policy", "reason"),
}
REQUIRED_EFFECT_KEYS: Mapping[EffectKind, tuple[str, ...]] = {
    EffectKind.ENQUEUE: ("queue",),
    EffectKind.ACT: ("action",),
    EffectKind.LABEL: ("entity", "label", "expires_in"),
    EffectKind.ESCALATE: (),
}
MAX_RULES = 1_000
MAX_TEXT = 1_000  # characters of a description or an escalation reason
MAX_OWNER = 128
MAX_FILE = 2 * 1024 * 1024  # characters of a rule file

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
# libyaml's loader when PyYAML was built with it: composing a 1,000-rule file takes a sixth of the time.
# Its marks count characters, as the pure-Python loader's do.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Diagnostic:
    """One error in a rule file, at a 1-based line and column; prints like a compiler's."""

    source: str
    line: int
    column: int
    message: str
    path: str = ""  # where in the document: `rules[2].then[0].enqueue.queue`; empty for the whole file

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.source}:{self.line}:{self.column}: {where}{self.message}"


class RulesDoNotCheck(InvalidInput):
    """A rule file with errors: its field errors (path, reason, line) and the full diagnostics."""

    def __init__(self, source: str, diagnostics: Sequence[Diagnostic]) -> None:
        noun = "error" if len(diagnostics) == 1 else "errors"
        errors = [FieldError(d.path, d.message, d.line) for d in diagnostics]
        super().__init__(f"rule file {source} has {len(diagnostics)} {noun}", errors)
        self.diagnostics = tuple(diagnostics)


@dataclass(frozen=True)
class KnownNames:
    """What a rule may refer to, as the store has it now."""

    queues: frozenset[str] = frozenset()
    escalation_queue: str | None = None
    policies: Mapping[str, frozenset[str]] = field(default_factory=dict)  # policy id -> allowed actions
    keyword_banks: frozenset[str] = frozenset()
    regex_banks: frozenset[str] = frozenset()
    plugin_signals: Mapping[str, Group] = field(default_factory=dict)

    def context(self) -> Group:
        return context_fields(sorted(self.keyword_banks), sorted(self.regex_banks), self.plugin_signals)


def known_names(session: Session, plugin_signals: Mapping[str, Group] | None = None) -> KnownNames:
    """The queues of the review configuration in force, the live policies, the banks by kind, and the
    signal groups plug-ins add (by default, those of the plug-ins registered through `signal_providers`)."""
    from bastion.detect.signals import signal_providers
    from bastion.policy.service import current_policies

    if plugin_signals is None:
        plugin_signals = {provider.name: provider.fields for provider in signal_providers(session)}
    from bastion.review.config_store import current_review_config

    try:
        config = current_review_config(session).config
        queues, escalation = frozenset(config.by_name), config.escalation_queue
    except ConfigurationError:  # no review configuration loaded yet: no queue to name
        queues, escalation = frozenset(), None
    policies = {
        policy_id: frozenset(str(action) for action in record.policy.allowed_actions)
        for policy_id, record in current_policies(session).items()
    }
    banks = session.execute(select(Bank.name, Bank.kind)).all()
    return KnownNames(
        queues=queues,
        escalation_queue=escalation,
        policies=policies,
        keyword_banks=frozenset(name for name, kind in banks if kind == BankKind.KEYWORD),
        regex_banks=frozenset(name for name, kind in banks if kind == BankKind.REGEX),
        plugin_signals=dict(plugin_signals or {}),
    )


def check_rules(text: str, source: str, known: KnownNames) -> list[Diagnostic]:
    """Every error of a rule file, in the file's order; empty when it checks."""
    return _read(text, source, known)[1]


def parse_checked(text: str, source: str, known: KnownNames) -> RuleSet:
    """The rules of a file that checks; raises `RulesDoNotCheck` with every diagnostic otherwise."""
    rules, diagnostics = _read(text, source, known)
    if diagnostics:
        raise RulesDoNotCheck(source, diagnostics)
    return RuleSet(tuple(rules), source)


def _read(text: str, source: str, known: KnownNames) -> tuple[list[Rule], list[Diagnostic]]:
    if len(text) > MAX_FILE:
        return [], [Diagnostic(source, 1, 1, f"the file must be at most {MAX_FILE:,} characters")]
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        return [], [Diagnostic(source, line, column, f"invalid YAML: {exc.problem or exc.context or 'malformed'}")]
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", 0)
        line, column = LinePositions(text).at(position)
        return [], [Diagnostic(source, line, column, f"invalid YAML: {getattr(exc, 'reason', 'malformed')}")]
    except RecursionError:
        return [], [Diagnostic(source, 1, 1, "invalid YAML: nested too deeply")]
    reader = _Reader(text, source, known)
    reader.read_document(root)
    diagnostics = sorted(reader.diagnostics, key=lambda d: (d.line, d.column))
    return reader.rules, diagnostics


def _listed(names: Sequence[str], noun: str, limit: int = 12) -> str:
    if not names:
        return f"there are no {noun}"
    shown = ", ".join(sorted(names)[:limit])
    return f"{noun}: {shown}" + (", …" if len(names) > limit else "")


@dataclass
class _RuleParts:
    """What was read of one rule; None where the value was missing or wrong."""

    name: str | None = None
    description: str = ""
    owner: str = ""
    mode: RuleMode | None = None
    policy: str | None = None
    when: str | None = None
    then: list[Effect] | None = None
    ok: bool = True


class _Reader:
    """Walks the composed YAML, collecting rules and diagnostics."""

    def __init__(self, text: str, source: str, known: KnownNames) -> None:
        self.text = text
        self.source = source
        self.known = known
        self.context = known.context()
        self.positions = LinePositions(text)
        self.rules: list[Rule] = []
        self.diagnostics: list[Diagnostic] = []
        self.first_line: dict[str, int] = {}

    def error(self, node: Node, path: str, message: str) -> None:
        self.diagnostics.append(
            Diagnostic(self.source, node.start_mark.line + 1, node.start_mark.column + 1, message, path)
        )

    def read_document(self, root: Node | None) -> None:
        if root is None:
            self.diagnostics.append(Diagnostic(self.source, 1, 1, "the file is empty; expected a 'rules' list"))
            return
        if not isinstance(root, MappingNode):
            self.error(root, "", f"a rule file is a mapping with a 'rules' list, got {got(root)}")
            return
        fields = self.fields(root, "", ("rules",))
        rules = fields.get("rules")
        if rules is None:
            if "rules" not in fields:
                self.error(root, "rules", "missing: a rule file has a 'rules' list")
            return
        if not isinstance(rules, SequenceNode):
            self.error(rules, "rules", f"must be a list of rules, got {got(rules)}")
            return
        if len(rules.value) > MAX_RULES:
            self.error(rules, "rules", f"at most {MAX_RULES:,} rules in one file, got {len(rules.value):,}")
            return
        for index, item in enumerate(rules.value):
            self.read_rule(item, f"rules[{index}]")

    def fields(self, node: MappingNode, path: str, allowed: Sequence[str]) -> dict[str, Node]:
        """A mapping's fields by name, reporting unknown and repeated keys."""
        found: dict[str, Node] = {}
        lines: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value) if isinstance(key, ScalarNode) else None
            where = f"{path}.{name}" if path and name else (name or path)
            if name is None or key.tag == "tag:yaml.org,2002:merge":
                self.error(key, path, f"keys are plain words, got {got(key)}")
            elif name in lines:
                self.error(key, where, f"given twice (first on line {lines[name]})")
            elif name not in allowed:
                self.error(
                    key,
                    where,
                    f"unknown key '{shown(name)}'{did_you_mean(name, allowed)}; allowed: {', '.join(allowed)}",
                )
            else:
                found[name] = value
            if name is not None:
                lines.setdefault(name, key.start_mark.line + 1)
        return found

    def text_of(self, node: Node, path: str, *, what: str = "text") -> str | None:
        if isinstance(node, ScalarNode) and node.tag == _STR:
            return str(node.value)
        self.error(node, path, f"must be {what}, got {got(node)}")
        return None

    def read_rule(self, node: Node, path: str) -> None:
        if not isinstance(node, MappingNode):
            self.error(node, path, f"a rule is a mapping of {', '.join(RULE_KEYS)}, got {got(node)}")
            return
        fields = self.fields(node, path, RULE_KEYS)
        parts = _RuleParts()
        for key in REQUIRED_RULE_KEYS:
            if key not in fields:
                self.error(node, f"{path}.{key}", "missing")
                parts.ok = False
        parts.name = self.read_name(fields.get("name"), f"{path}.name")
        parts.description = self.read_prose(fields.get("description"), f"{path}.description", parts, MAX_TEXT)
        parts.owner = self.read_prose(fields.get("owner"), f"{path}.owner", parts, MAX_OWNER)
        parts.mode = self.read_mode(fields.get("mode"), f"{path}.mode")
        parts.policy = self.read_policy(fields.get("policy"), f"{path}.policy", parts)
        parts.when = self.read_when(fields.get("when"), f"{path}.when")
        parts.then = self.read_then(fields.get("then"), f"{path}.then", parts.policy)
        if parts.ok and parts.name and parts.mode and parts.when is not None and parts.then is not None:
            self.rules.append(
                make_rule(
                    parts.name,
                    when=parts.when,
                    then=tuple(parts.then),
                    mode=parts.mode,
                    policy=parts.policy,
                    description=parts.description,
                    owner=parts.owner,
                )
            )

    def read_name(self, node: Node | None, path: str) -> str | None:
        if node is None:
            return None
        name = self.text_of(node, path, what="a rule name")
        if name is None:
            return None
        if not RULE_NAME.fullmatch(name):
            self.error(
                node,
                path,
                f"a rule name is lowercase letters, digits, '_', '.' and '-', starting with a letter or digit "
                f"(at most 128), got {got(node)}",
            )
            return None
        if name in self.first_line:
            self.error(node, path, f"rule '{name}' is already defined on line {self.first_line[name]}")
            return None
        self.first_line[name] = node.start_mark.line + 1
        return name

    def read_prose(self, node: Node | None, path: str, parts: _RuleParts, limit: int) -> str:
        if node is None:
            return ""
        if isinstance(node, ScalarNode) and node.tag == _NULL:
            return ""
        value = self.text_of(node, path)
        if value is None or len(value.strip()) > limit:
            if value is not None:
                self.error(node, path, f"must be at most {limit:,} characters")
            parts.ok = False
            return ""
        return value.strip()

    def read_mode(self, node: Node | None, path: str) -> RuleMode | None:
        if node is None:
            return None
        # YAML 1.1 reads a bare `off` as false: the word written is what counts.
        value = node.value if isinstance(node, ScalarNode) and node.tag in (_STR, _BOOL) else None
        if value in {mode.value for mode in RuleMode}:
            return RuleMode(value)
        self.error(node, path, f"must be live, shadow or off, got {got(node)}")
        return None

    def read_policy(self, node: Node | None, path: str, parts: _RuleParts) -> str | None:
        if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL):
            return None
        value = self.text_of(node, path, what="a policy id")
        if value is None:
            parts.ok = False
            return None
        if value not in self.known.policies:
            self.error(node, path, f"unknown policy '{shown(value)}'{did_you_mean(value, list(self.known.policies))}")
            parts.ok = False
            return None
        return value

    def read_when(self, node: Node | None, path: str) -> str | None:
        if node is None:
            return None
        if not (isinstance(node, ScalarNode) and node.tag == _STR):
            self.error(node, path, f"must be a condition (CEL text), got {got(node)}")
            return None
        expression = str(node.value)
        problems = check_condition(expression, self.context)
        if not problems:
            return expression.strip()
        indexes = value_indexes(self.text, node)
        written = len(expression.rstrip())
        for problem in problems:
            if problem.offset < written:
                index = indexes[problem.offset]
            elif written:
                index = indexes[written - 1] + 1  # just after the last character: where the parser ran out
            else:
                index = node.start_mark.index
            line, column = self.positions.at(index)
            self.diagnostics.append(Diagnostic(self.source, line, column, problem.message, path))
        return None

    def read_then(self, node: Node | None, path: str, rule_policy: str | None) -> list[Effect] | None:
        if node is None:
            return None
        if not isinstance(node, SequenceNode):
            self.error(node, path, f"must be a list of effects (enqueue, act, label, escalate), got {got(node)}")
            return None
        effects: list[Effect] = []
        ok = True
        for index, item in enumerate(node.value):
            effect = self.read_effect(item, f"{path}[{index}]", rule_policy)
            if effect is None:
                ok = False
            else:
                effects.append(effect)
        return effects if ok else None

    def read_effect(self, node: Node, path: str, rule_policy: str | None) -> Effect | None:
        kinds = [kind.value for kind in EffectKind]
        if isinstance(node, MappingNode) and len(node.value) > 1:
            named = ", ".join(str(k.value) if isinstance(k, ScalarNode) else got(k) for k, _ in node.value)
            self.error(node, path, f"an effect is one of {', '.join(kinds)}: write each as its own item, got {named}")
            return None
        if not isinstance(node, MappingNode) or len(node.value) != 1:
            self.error(node, path, f"an effect is one of {', '.join(kinds)} with its fields, got {got(node)}")
            return None
        ((key, value),) = node.value
        name = str(key.value) if isinstance(key, ScalarNode) else ""
        if name not in kinds:
            self.error(key, path, f"unknown effect {got(key)}{did_you_mean(name, kinds)}; effects: {', '.join(kinds)}")
            return None
        kind = EffectKind(name)
        where = f"{path}.{name}"
        if isinstance(value, ScalarNode) and value.tag == _NULL:
            value = MappingNode("tag:yaml.org,2002:map", [], value.start_mark, value.end_mark)
        if not isinstance(value, MappingNode):
            self.error(value, where, f"must be a mapping of {', '.join(EFFECT_KEYS[kind])}, got {got(value)}")
            return None
        fields = self.fields(value, where, EFFECT_KEYS[kind])
        missing = [k for k in REQUIRED_EFFECT_KEYS[kind] if k not in fields]
        for k in missing:
            hint = " (how long the label lasts: 30m, 12h, 7d, or none for never)" if k == "expires_in" else ""
            self.error(value, f"{where}.{k}", f"missing{hint}")
        reader = _EffectReader(self, fields, where, rule_policy)
        effect = reader.read(kind, key)
        return effect if effect is not None and not missing and reader.ok else None


class _EffectReader:
    """The fields of one effect, checked against what the store knows."""

    def __init__(self, reader: _Reader, fields: Mapping[str, Node], path: str, rule_policy: str | None) -> None:
        self.reader = reader
        self.known = reader.known
        self.fields = fields
        self.path = path
        self.rule_policy = rule_policy
        self.ok = True

    def fail(self, node: Node, key: str, message: str) -> None:
        self.reader.error(node, f"{self.path}.{key}", message)
        self.ok = False

    def text(self, key: str, what: str = "text") -> str | None:
        node = self.fields.get(key)
        if node is None:
            return None
        value = self.reader.text_of(node, f"{self.path}.{key}", what=what)
        if value is None:
            self.ok = False
        return value

    def policy(self) -> str | None:
        value = self.text("policy", "a policy id")
        if value is None:
            return self.rule_policy
        if value not in self.known.policies:
            self.fail(
                self.fields["policy"],
                "policy",
                f"unknown policy '{shown(value)}'{did_you_mean(value, list(self.known.policies))}",
            )
        return value

    def read(self, kind: EffectKind, key: Node) -> Effect | None:
        if kind is EffectKind.ENQUEUE:
            return Effect(kind, queue=self.queue(), policy=self.policy(), confidence=self.priority())
        if kind is EffectKind.ACT:
            policy = self.policy()
            action = self.action(policy, key)
            return Effect(kind, action=action, policy=policy)
        if kind is EffectKind.LABEL:
            return Effect(kind, entity=self.entity(), label=self.label(), expires_in=self.expiry())
        if self.known.escalation_queue is None:
            self.reader.error(key, self.path, "there is no escalation queue: load a review configuration first")
            self.ok = False
        reason = self.text("reason")
        if reason is not None and len(reason) > MAX_TEXT:
            self.fail(self.fields["reason"], "reason", f"must be at most {MAX_TEXT:,} characters")
        return Effect(kind, policy=self.policy(), reason=reason.strip() if reason else None)

    def queue(self) -> str | None:
        value = self.text("queue", "a queue name")
        if value is not None and value not in self.known.queues:
            queues = sorted(self.known.queues)
            hint = did_you_mean(value, queues) or "; " + _listed(queues, "queues")
            self.fail(self.fields["queue"], "queue", f"unknown queue '{shown(value)}'{hint}")
        return value

    def priority(self) -> float | None:
        node = self.fields.get("priority")
        if node is None:
            return None
        if isinstance(node, ScalarNode) and node.tag in (_INT, _FLOAT):
            try:
                value = float(str(node.value))
            except ValueError:
                value = -1.0
            if 0.0 <= value <= 1.0:
                return value
        self.fail(node, "priority", f"must be a number from 0 to 1 (the rule's confidence), got {got(node)}")
        return None

    def action(self, policy: str | None, key: Node) -> str | None:
        value = self.text("action", "an action")
        if value is None:
            return None
        if policy is None:
            self.reader.error(
                key, f"{self.path}.policy", "missing: an action is taken under a policy (here or the rule's)"
            )
            self.ok = False
            return value
        allowed = self.known.policies.get(policy)
        if allowed is not None and value not in allowed:
            self.fail(
                self.fields["action"],
                "action",
                f"policy '{policy}' does not allow '{shown(value)}'; "
                f"it allows {', '.join(sorted(allowed)) or 'nothing'}",
            )
        return value

    def entity(self) -> EntityType | None:
        value = self.text("entity", "an entity")
        entities = [entity.value for entity in EntityType]
        if value is not None and value not in entities:
            self.fail(
                self.fields["entity"],
                "entity",
                f"must be {', '.join(entities[:-1])} or {entities[-1]}, got '{shown(value)}'",
            )
            return None
        return EntityType(value) if value is not None else None

    def label(self) -> str | None:
        value = self.text("label", "a label")
        if value is not None and not LABEL_NAME.fullmatch(value):
            self.fail(
                self.fields["label"],
                "label",
                f"a label is lowercase letters, digits, '_', '.', ':' and '-' (at most 128), got '{shown(value)}'",
            )
        return value

    def expiry(self) -> timedelta | None:
        node = self.fields.get("expires_in")
        if node is None:
            return None
        if isinstance(node, ScalarNode) and node.tag in (_STR, _NULL):
            try:
                return parse_duration(str(node.value) if node.tag == _STR else "none")
            except ValueError as exc:
                self.fail(node, "expires_in", str(exc))
                return None
        self.fail(node, "expires_in", f"must be a duration such as 30m, 12h or 7d, or none, got {got(node)}")
        return None
