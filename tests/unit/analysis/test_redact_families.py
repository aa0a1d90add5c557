"""Secret families beyond gitleaks' rules: detect-secrets' plugins (generated, with
provenance), vendor-prefixed tokens of any service, and quoted values of secret-named keys.
The redactor takes them all; review's findings take none of the redaction-only shapes."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from cicd_agent.analysis.redact import Redactor, find_secrets

TOKENS = {
    # Shapes only detect-secrets' plugins name (made-up values of the documented forms).
    "Discord bot token": "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs",
    "Telegram bot token": "7213808860:AAH1bjqpKKW3maRSPAxzIU-0v6xNuq2-NjM",
    "Mailchimp key": "a2937653ed38c31a43ea46e2b19257db-us2",
    # Prefixed tokens of services no rule names.
    "prefix_": "aio_VxEqGaqgMgZej3DceezbBy03eWyW",
    "prefix-": "pul-xm8r0t347qgoqhrp4c5pq0jkkabeue0x7u35l2ac",
    "two-part prefix": "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",
    "dotted prefix": "dp.ct.5KE9aLrlMoprKwgigGZl1zJOOMQDcYPTWoTPujmF5Tm3",
    "upper-case prefix": "NRAK-GDJSS4QZORUYIC1OGTRNGQMT5VH",
    "webhook URL": "https://discord.com/api/webhooks/1369248176954937405/Q7bFGgbEMoZ-tRHuA4QHk3x",
}


@pytest.mark.parametrize("kind", sorted(TOKENS))
def test_tokens_of_other_families_are_redacted(kind: str) -> None:
    token = TOKENS[kind]
    for text in (token, f"using {token} now", f'api_token = "{token}"'):
        redacted = Redactor().redact(text)
        assert token[4:20] not in redacted, redacted


@pytest.mark.parametrize(
    "text",
    [
        "tests/test_config.py::test_parse_config_with_unicode_values_2 PASSED",
        "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "Successfully installed charset-normalizer-3.3.2 requests-2.31.0",
        "ubuntu-22.04 runner, python-3.11.7, node_modules/.cache/eslint-loader",
        "v0.0.0-20240514091203-3f1a2b3c4d5e",
        "actions/setup-python@v5 with python-version-file: .python-version",
        'password = "token has expired, log in again"',
        "get_access_token_from_refresh_token_2",
    ],
)
def test_names_versions_and_prose_are_left_alone(text: str) -> None:
    assert Redactor().redact(text) == text


def test_quoted_values_of_secret_names_are_redacted_whole() -> None:
    for value in ("myuser:ATBB123abcDEF456ghiJKL789", "49|07KJBwfPzF2ESyNui5yBw9OVB6"):
        redacted = Redactor().redact(f'api_token = "{value}"')
        assert value[-12:] not in redacted and value[:8] not in redacted, redacted


def test_redaction_only_shapes_are_not_review_findings() -> None:
    """A prefixed token or a detect-secrets shape is redacted, but review reports only the
    precise rules (a false critical finding costs more than a spare ``[REDACTED]``)."""
    text = f"x = {TOKENS['prefix_']}\ny = {TOKENS['Discord bot token']}"
    assert find_secrets(text) == []
    assert len(find_secrets(text, broad=True)) == 2


def test_detect_secrets_rules_carry_their_provenance_and_licence() -> None:
    data = resources.files("cicd_agent").joinpath("data")
    rules = json.loads(data.joinpath("detect_secrets_rules.json").read_text("utf-8"))
    assert rules["source"] == "https://github.com/Yelp/detect-secrets"
    assert len(rules["commit"]) == 40 and rules["license"].startswith("Apache-2.0")
    assert "Apache License" in data.joinpath("detect_secrets_rules.LICENSE").read_text("utf-8")
