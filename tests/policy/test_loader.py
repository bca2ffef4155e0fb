"""Reading policy files: the shipped taxonomy, and every error with its line and field."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.domain.policy import Action, Policy
from bastion.errors import FieldError, InvalidInput, NotFound
from bastion.policy.loader import (
    default_policies,
    default_taxonomy_path,
    dsa_statement_categories,
    load_policy_file,
    parse_policies,
)

GOLDEN = Path(__file__).with_name("golden")

AREAS = {
    # id: (DSA category, lowest and highest severity allowed anywhere in the area)
    "hate_speech": ("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", 2, 3),
    "harassment_and_bullying": ("STATEMENT_CATEGORY_CYBER_VIOLENCE", 2, 4),
    "violence_and_incitement": ("STATEMENT_CATEGORY_VIOLENCE", 2, 4),
    "violent_extremism": ("STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", 4, 4),
    "child_safety": ("STATEMENT_CATEGORY_PROTECTION_OF_MINORS", 4, 4),
    "adult_nudity_and_sexual_activity": ("STATEMENT_CATEGORY_OTHER_VIOLATION_TC", 1, 2),
    "suicide_and_self_harm": ("STATEMENT_CATEGORY_SELF_HARM", 2, 4),
    "spam": ("STATEMENT_CATEGORY_OTHER_VIOLATION_TC", 1, 2),
    "scams_and_fraud": ("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", 3, 3),
    "harmful_misinformation": ("STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", 2, 3),
    "regulated_goods": ("STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS", 3, 3),
    "intellectual_property": ("STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", 2, 3),
}

VALID = """\
policies:
  - id: spam
    title: Spam
    severity: 1
    allowed_actions: [remove, demote]
    dsa_category: STATEMENT_CATEGORY_OTHER_VIOLATION_TC
    guidance: Bulk commercial content.
    children:
      - id: spam.fake_engagement
        title: Fake engagement
        severity: 2
        guidance: Bought likes and follows.
      - id: spam.phishing_links
        title: Phishing links
        severity: 3
        allowed_actions: [remove, ban]
        dsa_category: STATEMENT_CATEGORY_SCAMS_AND_FRAUD
        description: Links that steal credentials.
        guidance: |
          Links to look-alike login pages.

"""


def errors_of(text: str) -> list[FieldError]:
    with pytest.raises(InvalidInput) as caught:
        parse_policies(text, "test.yaml")
    return list(caught.value.errors)


@pytest.fixture(scope="module")
def shipped() -> list[Policy]:
    return default_policies()


# --- the shipped taxonomy


def test_shipped_taxonomy_has_the_twelve_areas(shipped: list[Policy]) -> None:
    top_level = [policy.id for policy in shipped if policy.parent_id is None]
    assert top_level == list(AREAS)
    assert 35 <= len(shipped) <= 45


@pytest.mark.parametrize("area", list(AREAS))
def test_shipped_area_is_complete(shipped: list[Policy], area: str) -> None:
    category, lowest, highest = AREAS[area]
    root = next(policy for policy in shipped if policy.id == area)
    members = [policy for policy in shipped if policy.id == area or policy.id.startswith(area + ".")]
    assert root.dsa_category == category
    assert len(members) >= 3, "each area has sub-policies"
    for policy in members:
        assert lowest <= policy.severity <= highest, policy.id
        assert policy.dsa_category in dsa_statement_categories(), policy.id
        assert policy.allowed_actions, policy.id
        assert len(policy.guidance) >= 250, f"{policy.id}: guidance is too thin for a reviewer"
        assert policy.title and "\n" not in policy.title


def test_shipped_taxonomy_lists_parents_before_children(shipped: list[Policy]) -> None:
    seen: set[str] = set()
    for policy in shipped:
        assert policy.parent_id is None or policy.parent_id in seen, policy.id
        seen.add(policy.id)
    assert len(seen) == len(shipped)


@pytest.mark.parametrize(
    ("policy_id", "actions"),
    [
        ("child_safety.sexual_abuse_material", (Action.REMOVE, Action.BAN, Action.ESCALATE)),
        ("violence_and_incitement.credible_threats", (Action.REMOVE, Action.SUSPEND, Action.BAN, Action.ESCALATE)),
        ("suicide_and_self_harm.promotion_and_instruction", (Action.REMOVE, Action.WARN, Action.ESCALATE)),
    ],
)
def test_shipped_critical_policies_cannot_be_waved_through(
    shipped: list[Policy], policy_id: str, actions: tuple[Action, ...]
) -> None:
    policy = next(policy for policy in shipped if policy.id == policy_id)
    assert policy.severity == 4
    assert policy.allowed_actions == actions


def test_shipped_dsa_categories_are_the_statement_categories() -> None:
    categories = dsa_statement_categories()
    assert len(categories) == 16
    assert categories["STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"] == "Illegal or harmful speech"


def test_default_taxonomy_path_is_the_packaged_file() -> None:
    path = default_taxonomy_path()
    assert path.name == "taxonomy.yaml"
    assert path.is_file()


# --- a valid file


def test_children_inherit_actions_and_category_unless_they_say() -> None:
    policies = {policy.id: policy for policy in parse_policies(VALID, "test.yaml")}
    assert list(policies) == ["spam", "spam.fake_engagement", "spam.phishing_links"]
    assert policies["spam.fake_engagement"] == Policy(
        id="spam.fake_engagement",
        title="Fake engagement",
        severity=2,
        allowed_actions=(Action.REMOVE, Action.DEMOTE),
        guidance="Bought likes and follows.",
        dsa_category="STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    )
    phishing = policies["spam.phishing_links"]
    assert phishing.allowed_actions == (Action.REMOVE, Action.BAN)
    assert phishing.dsa_category == "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"
    assert phishing.description == "Links that steal credentials."
    assert phishing.guidance == "Links to look-alike login pages.", "prose is trimmed"


# --- errors, each with its line and field


def policy_yaml(**overrides: str) -> str:
    """One top-level policy; each override replaces or adds a field's raw YAML."""
    fields = {
        "id": "spam",
        "title": "Spam",
        "severity": "1",
        "allowed_actions": "[remove]",
        "dsa_category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
        "guidance": "Bulk commercial content.",
    }
    fields.update(overrides)
    lines = [f"    {name}: {value}" if value != "<absent>" else "" for name, value in fields.items()]
    body = "\n".join(line for line in lines if line)
    return "policies:\n  - " + body.lstrip() + "\n"


ACTIONS = "remove, label, age_restrict, demote, warn, strike, suspend, ban, restore, escalate"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            policy_yaml(severity="7"),
            [(4, "policies[0].severity", "must be an integer from 1 to 4, got 7")],
            id="severity-out-of-range",
        ),
        pytest.param(
            policy_yaml(severity="high"),
            [(4, "policies[0].severity", "must be an integer from 1 to 4, got 'high'")],
            id="severity-not-a-number",
        ),
        pytest.param(
            policy_yaml(severity="2.0"),
            [(4, "policies[0].severity", "must be an integer from 1 to 4, got 2.0")],
            id="severity-float",
        ),
        pytest.param(
            policy_yaml(severity="true"),
            [(4, "policies[0].severity", "must be an integer from 1 to 4, got true")],
            id="severity-bool",
        ),
        pytest.param(
            policy_yaml(allowed_actions="[remove, delete]"),
            [(5, "policies[0].allowed_actions[1]", f"unknown action 'delete'; allowed: {ACTIONS}")],
            id="unknown-action",
        ),
        pytest.param(
            policy_yaml(allowed_actions="[remove, warn, remove]"),
            [(5, "policies[0].allowed_actions[2]", "duplicate action 'remove'")],
            id="duplicate-action",
        ),
        pytest.param(
            policy_yaml(allowed_actions="[]"),
            [(5, "policies[0].allowed_actions", "must list at least one action")],
            id="no-actions",
        ),
        pytest.param(
            policy_yaml(allowed_actions="remove"),
            [(5, "policies[0].allowed_actions", "must be a list of actions, got 'remove'")],
            id="actions-not-a-list",
        ),
        pytest.param(
            policy_yaml(dsa_category="STATEMENT_CATEGORY_VIOLENT"),
            [
                (
                    6,
                    "policies[0].dsa_category",
                    "unknown DSA category 'STATEMENT_CATEGORY_VIOLENT'; did you mean 'STATEMENT_CATEGORY_VIOLENCE'?",
                )
            ],
            id="dsa-category-typo",
        ),
        pytest.param(
            policy_yaml(dsa_category="self_harm"),
            [
                (
                    6,
                    "policies[0].dsa_category",
                    "unknown DSA category 'self_harm'; did you mean 'STATEMENT_CATEGORY_SELF_HARM'?",
                )
            ],
            id="dsa-category-short-form",
        ),
        pytest.param(
            policy_yaml(dsa_category="Pornography"),
            [
                (
                    6,
                    "policies[0].dsa_category",
                    "unknown DSA category 'Pornography'; "
                    "expected one of the STATEMENT_CATEGORY_… keys of the DSA Transparency Database",
                )
            ],
            id="dsa-category-unknown",
        ),
        pytest.param(
            policy_yaml(title="<absent>"),
            [(2, "policies[0].title", "missing required field")],
            id="missing-title",
        ),
        pytest.param(
            policy_yaml(dsa_category="<absent>"),
            [(2, "policies[0].dsa_category", "missing required field")],
            id="top-level-needs-a-category",
        ),
        pytest.param(
            policy_yaml(severty="2"),
            [(8, "policies[0].severty", "unknown field 'severty'; did you mean 'severity'?")],
            id="unknown-field",
        ),
        pytest.param(
            policy_yaml(id="Hate-Speech"),
            [
                (
                    2,
                    "policies[0].id",
                    "must be lowercase words joined by '_', with '.' between levels "
                    "(at most 128 characters), got 'Hate-Speech'",
                )
            ],
            id="bad-id",
        ),
        pytest.param(
            policy_yaml(id="spam.bulk"),
            [
                (
                    2,
                    "policies[0].id",
                    "a top-level policy id has no '.', got 'spam.bulk'; nest it in children",
                )
            ],
            id="dotted-top-level-id",
        ),
        pytest.param(
            policy_yaml(title="''"),
            [(3, "policies[0].title", "must not be empty")],
            id="empty-title",
        ),
        pytest.param(
            policy_yaml(guidance="[a, b]"),
            [(7, "policies[0].guidance", "must be text, got a list")],
            id="guidance-not-text",
        ),
        pytest.param(
            policy_yaml(children="{id: spam.x}"),
            [(8, "policies[0].children", "must be a list of policies, got a mapping")],
            id="children-not-a-list",
        ),
    ],
)
def test_field_errors(text: str, expected: list[tuple[int, str, str]]) -> None:
    assert [(e.line, e.path, e.message) for e in errors_of(text)] == expected


def test_duplicate_id_names_the_first_definition() -> None:
    text = VALID + textwrap.indent(policy_yaml(id="spam").removeprefix("policies:\n"), "")
    assert [(e.line, e.path, e.message) for e in errors_of(text)] == [
        (22, "policies[1].id", "duplicate policy id 'spam' (first defined on line 2)")
    ]


def test_child_id_must_extend_its_parent() -> None:
    text = VALID.replace("id: spam.fake_engagement", "id: scams.fake_engagement")
    assert [(e.line, e.path, e.message) for e in errors_of(text)] == [
        (
            9,
            "policies[0].children[0].id",
            "a child's id is its parent's id plus one segment ('spam.<name>'), got 'scams.fake_engagement'",
        )
    ]


def test_child_errors_carry_the_nested_path() -> None:
    text = VALID.replace("severity: 3", "severity: 0").replace(
        "dsa_category: STATEMENT_CATEGORY_SCAMS", "dsa_category: STATEMENT_CATEGORY_SCAM"
    )
    assert [(e.line, e.path) for e in errors_of(text)] == [
        (15, "policies[0].children[1].severity"),
        (17, "policies[0].children[1].dsa_category"),
    ]


def test_a_child_of_a_broken_parent_reports_only_its_own_errors() -> None:
    text = VALID.replace("allowed_actions: [remove, demote]", "allowed_actions: [erase]")
    assert [e.path for e in errors_of(text)] == ["policies[0].allowed_actions[0]"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", [(1, "", "the policy file is empty; expected a 'policies' list")], id="empty"),
        pytest.param(
            "- spam\n",
            [(1, "", "a policy file is a mapping with a 'policies' list, got a list")],
            id="not-a-mapping",
        ),
        pytest.param("policies: []\n", [(1, "policies", "must list at least one policy")], id="no-policies"),
        pytest.param(
            "rules: []\n",
            [
                (1, "", "unknown field 'rules'; a policy file has only 'policies'"),
                (1, "policies", "missing required field"),
            ],
            id="wrong-top-level-key",
        ),
        pytest.param(
            "policies:\n  - spam\n",
            [(2, "policies[0]", "must be a mapping of policy fields, got 'spam'")],
            id="policy-not-a-mapping",
        ),
        pytest.param(
            "policies:\n  - id: spam\n    id: scam\n",
            [
                (2, "policies[0].title", "missing required field"),
                (2, "policies[0].severity", "missing required field"),
                (2, "policies[0].guidance", "missing required field"),
                (2, "policies[0].allowed_actions", "missing required field"),
                (2, "policies[0].dsa_category", "missing required field"),
                (3, "policies[0].id", "duplicate field (first given on line 2)"),
            ],
            id="duplicate-field",
        ),
    ],
)
def test_file_shape_errors(text: str, expected: list[tuple[int, str, str]]) -> None:
    assert [(e.line, e.path, e.message) for e in errors_of(text)] == expected


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param(
            "policies:\n  - id: spam\n   title: Spam\n",
            3,
            "invalid YAML: expected <block end>, but found '<block mapping start>' "
            "(while parsing a block collection on line 2)",
            id="bad-indent",
        ),
        pytest.param(
            "policies:\n  - id: spam\n    title: [Spam\n",
            4,
            "invalid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence on line 3)",
            id="unclosed-list",
        ),
        pytest.param(
            "policies:\n  - id: spam\n    title: \x07\n",
            3,
            "invalid YAML: unacceptable character '\\x07': special characters are not allowed",
            id="control-character",
        ),
    ],
)
def test_yaml_syntax_errors_become_invalid_input_with_the_line(text: str, line: int, message: str) -> None:
    assert [(e.line, e.path, e.message) for e in errors_of(text)] == [(line, "", message)]


def test_aliases_of_whole_policies_and_merge_keys_are_refused() -> None:
    text = VALID.replace("  - id: spam\n", "  - &spam\n    id: spam\n", 1) + "  - *spam\n  - <<: *spam\n"
    assert [(e.line, e.path, e.message) for e in errors_of(text)] == [
        (2, "policies[1]", "repeats the policy on line 2 through a YAML alias"),
        (24, "policies[2]", "merge keys ('<<') are not supported; write each field out"),
    ]


def test_aliases_of_values_are_allowed() -> None:
    text = VALID.replace("[remove, demote]", "&actions [remove, demote]").replace("[remove, ban]", "*actions")
    policies = parse_policies(text, "test.yaml")
    assert policies[2].allowed_actions == (Action.REMOVE, Action.DEMOTE)


MANY_ERRORS = """\
policies:
  - id: hate_speech
    title: Hate speech
    severity: 5
    allowed_actions: [remove, delete, warn]
    dsa_category: STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH
    guidance: Attacks on people for who they are.
    children:
      - id: hate_speech.slurs
        title: Slurs
        severty: 2
        guidance: Slurs used to attack.
      - id: hatespeech.dehumanization
        title: Dehumanisation
        severity: 3
        guidance: Comparisons with animals or disease.
  - id: spam
    title:
    severity: 1
    allowed_actions: [remove]
    guidance: ""
    dsa_category: STATEMENT_CATEGORY_SPAM
  - id: hate_speech
    title: Hate speech again
    severity: 3
    allowed_actions: [remove]
    dsa_category: STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH
    guidance: A second copy.
"""


def test_many_errors_are_all_reported_like_a_compiler() -> None:
    """The full message, compared with a golden file (BASTION_UPDATE_GOLDEN=1 rewrites it)."""
    golden = GOLDEN / "many_errors.txt"
    with pytest.raises(InvalidInput) as caught:
        parse_policies(MANY_ERRORS, "many_errors.yaml")
    if os.environ.get("BASTION_UPDATE_GOLDEN"):
        golden.write_text(str(caught.value) + "\n", encoding="utf-8")
    assert str(caught.value) + "\n" == golden.read_text(encoding="utf-8")


# --- files


def test_load_policy_file_reads_and_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert [policy.id for policy in load_policy_file(path)] == ["spam", "spam.fake_engagement", "spam.phishing_links"]
    path.write_text("policies: []\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_policy_file(path)
    assert caught.value.message == f"policy file {path} has 1 error"


def test_load_policy_file_that_is_missing_or_not_text(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        load_policy_file(tmp_path / "absent.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(InvalidInput, match="not UTF-8 text"):
        load_policy_file(binary)


# --- anything at all: InvalidInput or policies, never another exception


def check_never_crashes(text: str) -> None:
    try:
        policies = parse_policies(text, "fuzz.yaml")
    except InvalidInput as exc:
        assert exc.errors
        assert all(e.line is None or e.line >= 1 for e in exc.errors)
    else:
        assert all(isinstance(policy, Policy) for policy in policies)


@given(st.text(max_size=400))
def test_random_text_never_raises_anything_but_invalid_input(text: str) -> None:
    check_never_crashes(text)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.floats(allow_nan=False), st.text(max_size=20))
FIELD_NAMES = ["policies", "id", "title", "severity", "allowed_actions", "guidance", "description"]
KEYS = st.sampled_from(
    [*FIELD_NAMES, "dsa_category", "children", "remove", "spam", "spam.x", "STATEMENT_CATEGORY_VIOLENCE", "<<"]
)
YAML_DATA = st.recursive(
    SCALARS | KEYS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=30,
)


@given(YAML_DATA)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_random_yaml_structures_never_raise_anything_but_invalid_input(data: object) -> None:
    check_never_crashes(yaml.safe_dump({"policies": data}))
    check_never_crashes(yaml.safe_dump(data))


@given(st.data())
def test_mutated_policy_files_never_raise_anything_but_invalid_input(data: st.DataObject) -> None:
    text = VALID
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 8))
        insert = data.draw(st.sampled_from(["", " ", "\n", "-", ":", "[", "&a ", "*a", "!!int ", "'", "\t"]))
        text = text[:at] + insert + text[at + cut :]
    check_never_crashes(text)
