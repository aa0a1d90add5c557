"""The secret rule tables: vendor tokens (redaction only), our own shapes and credentials in
requests. The matcher finds a rule's candidates by its keywords in the lower-cased text, so a
keyword spelled otherwise is never found; each table's rules are checked on a token of theirs."""

from __future__ import annotations

import pytest

from cicd_agent.analysis.redact import Redactor, find_secrets
from cicd_agent.analysis.secrets.request import REQUEST_CREDENTIALS
from cicd_agent.analysis.secrets.rule import Rule
from cicd_agent.analysis.secrets.shapes import OWN_RULES, PRIVATE_KEY, VENDOR_RULES

TABLES = {"vendors": VENDOR_RULES, "shapes": OWN_RULES, "request": REQUEST_CREDENTIALS}


@pytest.mark.parametrize("table", TABLES)
def test_every_keyword_is_lower_case_as_the_matcher_looks_for_it(table: str) -> None:
    rules: tuple[Rule, ...] = TABLES[table]
    assert rules
    spelled = [(r.kind, k) for r in rules for k in r.keywords if k != k.lower()]
    assert spelled == []
    for rule in rules:
        assert rule.regex.pattern == rule.pattern  # every pattern compiles
        if rule.cased:
            assert rule.keywords == tuple(prefix.lower() for prefix in rule.cased)


def test_vendor_tokens_are_redacted_never_reported() -> None:
    assert all(rule.redaction_only for rule in VENDOR_RULES)
    redactor = Redactor()
    for line, kind in [
        ("x: ATBB7pQ2w9XkLm4nR8sT1vY6", "Bitbucket app password"),
        ("key da2-abcdefghijklmnopqrstuvwxyz", "AWS AppSync API key"),
        ("u pat-na1-12345678-abcd-ef01-2345-6789abcdef01 x", "HubSpot access token"),
    ]:
        assert kind in {rule.kind for rule in VENDOR_RULES}
        assert f"[REDACTED:{kind}]" in redactor.redact(line)
        assert find_secrets(line) == []  # too loose to be a finding


def test_a_vendor_prefix_in_another_case_is_not_that_vendors_token() -> None:
    assert "[REDACTED:Bitbucket app password]" not in Redactor().redact(
        "x: atbb7pQ2w9XkLm4nR8sT1vY6"
    )


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("mysql -u root -pS3cr3tPassw0rd db", "password option"),
        ("Authorization: Bearer 9f8a7b6c5d4e3f2a1b0c", "authorization header"),
        ("https://bob:Xy7pQ2w9Lm@example.com/", "password in URL"),
        ("PGPASSWORD=Xy7pQ2w9Lm4n psql", "password variable"),
    ],
)
def test_a_credential_in_a_request_is_found_by_its_place(line: str, kind: str) -> None:
    assert kind in {rule.kind for rule in REQUEST_CREDENTIALS}
    assert [hit.kind for hit in find_secrets(line)] == [kind]


def test_a_stand_in_in_a_requests_place_is_no_secret() -> None:
    assert find_secrets('curl -H "Authorization: token $TOKEN" https://api.example.com') == []


def test_a_private_key_block_is_one_finding_spanning_the_block() -> None:
    block = (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234567890abcdefghij\n"
        "-----END RSA PRIVATE KEY-----"
    )
    assert PRIVATE_KEY in OWN_RULES
    (hit,) = find_secrets(f"key:\n{block}\n")
    assert hit.kind == PRIVATE_KEY.kind
    assert f"key:\n{block}\n"[hit.start : hit.end] == block
