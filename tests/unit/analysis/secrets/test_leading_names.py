"""Five of gitleaks' rules (cisco-meraki, cohere, okta, privateai, sumologic-access-id) start
with two lazy name prefixes, ``[\\w.-]{0,50}?(?i:[\\w.-]{0,50}?``: 2,500 splits tried at every
character of a run of word characters. On the old loader one line of ``sumo`` repeated took
6.8 s at 8 KB (``find_secrets(line, broad=True)``), about a minute at 64 KB, and a diff line
has no length limit. The loader drops both; the secrets found must stay the same."""

from __future__ import annotations

import json
import random
import re
import sys
from importlib import resources

import pytest

from cicd_agent.analysis.secrets.loading import rule_set
from tests.helpers.bounded import run_bounded

STRIPPED = ("cisco-meraki-api-key", "cohere-api-token", "okta-access-token",
            "privateai-api-token", "sumologic-access-id")  # fmt: skip


@pytest.mark.parametrize("unit", ["sumo", "Okta", "cohere", "Meraki", "private_ai"])
def test_a_line_of_one_name_repeated_does_not_stall_redaction(unit: str) -> None:
    script = (
        "import sys\n"
        "from cicd_agent.analysis.secrets.matcher import find_secrets\n"
        "print(len(find_secrets(sys.stdin.read(), broad=True)))\n"
    )
    done = run_bounded([sys.executable, "-c", script], input=unit * (64_000 // len(unit)))
    assert done.returncode == 0, done.stderr[-2000:]


def _upstream() -> dict[str, re.Pattern[str]]:
    raw = json.loads(resources.files("cicd_agent").joinpath("data/secret_rules.json").read_text())
    return {
        rule["id"]: re.compile(rule["regex"]) for rule in raw["rules"] if rule["id"] in STRIPPED
    }


NAMES = ("sumo", "SUMO", "Sumo", "okta", "Okta", "cohere", "CO_API_KEY", "meraki", "Meraki",
         "private-ai", "privateAI", "x_sumo", "my.okta", "sumo_okta")  # fmt: skip
FILLER = ("", "_key", ".id", "-token", " ", "\t", "sumo", "'", '"')
SEPARATORS = ("=", ":", "::=", " => ", ",", "", "||", "?=", " ")
VALUES = ("suAbCdEf012345", ("0123456789abcdef" * 3)[:40], "00" + "aB3-=" * 8,
          "ZyXw0123456789abcdEF" * 2, "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "short")  # fmt: skip
ENDS = ("", " ", "'", ";", "\\n", "\n", "x")


def _line(pick: random.Random) -> str:
    return "".join(pick.choice(part) for part in (NAMES, FILLER, SEPARATORS, VALUES, ENDS))


@pytest.mark.parametrize("seed", range(12))
def test_dropping_the_name_prefixes_finds_the_same_secrets(seed: int) -> None:
    pick = random.Random(seed)
    text = "".join(_line(pick) for _ in range(300))
    upstream = _upstream()
    rules = {rule.kind: rule for rule in rule_set().rules if rule.kind in STRIPPED}
    assert set(rules) == set(STRIPPED)
    for kind, rule in rules.items():
        assert not rule.pattern.startswith("[")
        ours = [rule.secret_span(match) for match in rule.regex.finditer(text)]
        theirs = [rule.secret_span(match) for match in upstream[kind].finditer(text)]
        assert ours == theirs, kind
