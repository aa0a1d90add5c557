"""Secrets of every common shape are found and redacted; code and placeholders are left alone."""

from __future__ import annotations

import json

import pytest

from cicd_agent.analysis.redact import Redactor, find_secrets, known_secrets_from_env

PLANTED = {
    "GitHub token": "ghp_" + "A1b2C3d4E5" * 4,
    "fine-grained GitHub token": "github_pat_11ABCDEFG0" + "x" * 60,
    "AWS access key id": "AKIAIOSFODNN7EXAMPLE",
    "OpenAI key": "sk-proj-" + "Zz9" * 15,
    "Slack token": "xoxb-123456789012-abcdefghijkl",
    "Google API key": "AIza" + "B" * 35,
    "Stripe key": "sk_live_" + "4" * 24,
    "JSON web token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBhcnQ",
}


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_shaped_secrets_are_redacted(kind: str) -> None:
    secret = PLANTED[kind]
    text = f"log line before\nusing {secret} now\n"
    redacted = Redactor().redact(text)
    assert secret not in redacted
    assert "[REDACTED:" in redacted
    assert redacted.startswith("log line before\nusing ")


def test_private_key_block_is_redacted_whole() -> None:
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\nAAAA\n-----END OPENSSH PRIVATE KEY-----"
    redacted = Redactor().redact(f"key:\n{key}\nafter")
    assert "b3BlbnNzaC1rZXktdjEA" not in redacted
    assert redacted.endswith("after")


def test_env_style_assignments_and_urls() -> None:
    redacted = Redactor().redact("DB_PASSWORD=hunter2hunter2\nurl=postgres://app:s3cretpw@db/x")
    assert "hunter2hunter2" not in redacted
    assert "s3cretpw" not in redacted
    assert "postgres://app:" in redacted


def test_code_and_placeholders_are_not_secrets() -> None:
    text = "token = get_token(session)\napi_key: ${{ secrets.API_KEY }}\npassword = os.environ.get"
    assert Redactor().redact(text) == text
    assert find_secrets(text) == []


def test_known_values_are_redacted_whatever_their_shape() -> None:
    environ = {
        "GITHUB_TOKEN": "plain-looking-value-42",
        "CICD_AGENT_INPUTS": json.dumps({"openai-api-key": "another-odd-value", "model": "gpt"}),
        "PATH": "/usr/bin",
    }
    redactor = Redactor(known_secrets_from_env(environ))
    text = "a plain-looking-value-42 b another-odd-value c gpt /usr/bin"
    assert redactor.redact(text) == (
        "a [REDACTED:known secret] b [REDACTED:known secret] c gpt /usr/bin"
    )


def test_find_secrets_reports_kind_and_span() -> None:
    text = f"x = 1\naws = {PLANTED['AWS access key id']}"
    hits = find_secrets(text)
    assert len(hits) == 1
    assert text[hits[0].start : hits[0].end] == PLANTED["AWS access key id"]


def test_author_fields_are_not_secrets_but_auth_values_are() -> None:
    redactor = Redactor()
    assert redactor.redact("author=alice@example.com authors: bob-and-carol") == (
        "author=alice@example.com authors: bob-and-carol"
    )
    assert "s3cr3t-value-123" not in redactor.redact("AUTH_HEADER=s3cr3t-value-123")


def test_a_token_glued_to_the_text_before_it_is_still_redacted() -> None:
    token = PLANTED["GitHub token"]
    assert token not in Redactor().redact(f"https://x-access-{token}@github.com xxx{token}")


def test_secret_names_are_matched_by_whole_words() -> None:
    from cicd_agent.analysis.redact import is_secret_name

    for name in (
        "GITHUB_TOKEN",
        "openai-api-key",
        "prometheus-password",
        "SLACK_WEBHOOK_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "MY_PRIVATE_KEY",
    ):
        assert is_secret_name(name), name
    for name in ("TIKTOKEN_CACHE_DIR", "KEYBOARD_LAYOUT", "TOKENIZERS_PARALLELISM", "PATH"):
        assert not is_secret_name(name), name
