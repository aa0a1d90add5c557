"""A rule's :attr:`Rule.reach` skips the keywords after one where its pattern failed; the skip
must lose no match. Each rule with a reach is run on lines mixing its keywords, commands,
separators and assignments, and its matches are compared with the pattern tried at every
keyword (what the matcher did before: right, and quadratic on a line of one keyword)."""

from __future__ import annotations

import random
import re

import pytest

from cicd_agent.analysis.secrets.loading import rule_set
from cicd_agent.analysis.secrets.matcher import _matches
from cicd_agent.analysis.secrets.rule import Rule

PIECES = (
    "curl", "curl -u", "curl -s", "-u", "--user", "admin:Zx9qLm2wPk", "'u:Pw7xQ2mZ9'",
    '"Authorization: Bearer Zx9qLm2wPk4r"', "-H", "--header=", "mysql", "mysql-client",
    "mariadb", "-p", "-pHunter2xQ", "--password=Zx9qLm2w", "docker", "login", "helm registry",
    "redis-cli", "-a", "--pass", "S3cr3tPw9", "SECRET", "AGE-SECRET-KEY-1", "api_key", "token",
    "pass", "pwd", "auth", "authors", "credentials", "_id", "=", ":", " = ", "'Zx9qLm2wPk4r'",
    '"Zx9qLm2wPk4r"', "|", ";", "&&", ".", "-", "x", "$TOKEN", "\n", "\r\n", "\t",
)  # fmt: skip


def _reached() -> list[Rule]:
    return [rule for rule in rule_set().rules if rule.reach]


def _every_keyword(rule: Rule, text: str, starts: list[int]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    position = 0
    for start in sorted(set(starts)):
        if start >= position and (match := rule.regex.match(text, start)) is not None:
            position = match.end()
            spans.append(match.span())
    return spans


def _starts(rule: Rule, text: str) -> list[int]:
    lowered = text.lower()
    return [m.start() for k in rule.keywords for m in re.finditer(re.escape(k), lowered)]


def test_the_rules_that_run_to_the_end_of_a_line_have_a_reach() -> None:
    kinds = {rule.kind for rule in _reached()}
    assert {"curl-auth-header", "curl-auth-user", "assigned secret", "password option"} <= kinds


@pytest.mark.parametrize("seed", range(40))
def test_a_reach_loses_no_match(seed: int) -> None:
    pick = random.Random(seed)
    lines = [
        "".join(pick.choice(PIECES) + pick.choice(("", " ", " ", "  ")) for _ in range(30))
        for _ in range(40)
    ]
    text = "\n".join(lines)
    for rule in _reached():
        starts = _starts(rule, text)
        found = [match.span() for match in _matches(rule, text, starts)]
        assert found == _every_keyword(rule, text, starts), rule.kind


def test_a_later_command_on_the_line_is_still_tried() -> None:
    text = "curl -s https://x | curl -u admin:Zx9qLm2w https://y; mysql --help; mysql -pHunter2x"
    spans = {
        text[match.start() : match.end()]
        for rule in _reached()
        for match in _matches(rule, text, _starts(rule, text))
    }
    assert "curl -u admin:Zx9qLm2w" in spans
    assert "mysql -pHunter2x" in spans
