"""Which names hold a secret and which secret values are hidden wherever they appear: the one
rule the runner's log masking, the redactor, the model client and the sandbox share."""

from __future__ import annotations

import pytest

from cicd_agent.actions.masking import MIN_KNOWN_SECRET_LENGTH, is_secret_name, worth_hiding


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("GITHUB_TOKEN", True),
        ("openai-api-key", True),
        ("MYSECRET", True),
        ("DB_PASS", True),
        ("INPUT_GITHUB-TOKEN", True),
        ("PWD", False),
        ("OLDPWD", False),
        ("INPUT_TOKEN_BUDGET", False),
        ("HOME", False),
        ("PASSENGER_COUNT", False),
        ("min-pass-rate", False),
        ("must-pass", False),
        ("MUST_PASSWORD", True),
    ],
)
def test_a_name_says_whether_its_variable_holds_a_secret(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_secret_names_contain_the_listed_words() -> None:
    """The README's promise: a name that *contains* TOKEN, SECRET, PASSWORD… is secret
    (``MYSECRET`` too), and ``PASS``/``PWD`` as words (``DB_PASS``, not ``BYPASS``)."""
    for name in (
        "GITHUB_TOKEN",
        "openai-api-key",
        "prometheus-password",
        "SLACK_WEBHOOK_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "MY_PRIVATE_KEY",
        "MYSECRET",
        "DB_PASS",
        "MYSQL_PWD",
        "OPENAIAPIKEY",
        "GCP_CREDENTIALS",
        "REGISTRYPASSWD",
        "signing-key",
        "SESSION_COOKIE",
        "bearer",
        "SENTRY_DSN",
        "DATABASE_URL",
    ):
        assert is_secret_name(name), name
    for name in ("KEYBOARD_LAYOUT", "PATH", "BYPASS_CACHE", "PWD", "OLDPWD", "COMPASS_HOME", "DSNAME",
                 "INPUT_CONTEXT-TOKENS", "context-tokens", "INPUT_TOKEN-BUDGET", "secret-env"):  # fmt: skip
        assert not is_secret_name(name), name


@pytest.mark.parametrize(
    ("value", "hidden"),
    [
        ("ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z", True),
        ("s3cr3t", True),
        ("x" * (MIN_KNOWN_SECRET_LENGTH - 1), False),
        ("/home/runner/.cache/tiktoken", False),
        ("C:\\actions\\cache", False),
        ("~/tokens", False),
        ("120000", False),
        ("1234567890", True),
        # base64 holds ``/``: an AWS secret key that starts with one is no path.
        ("/Xk8pQ2vLm9wZ3Rt7YbN1/aK4sD6fG8hJ0lZxCvB", True),
        ("/home/runner/work/repo/node_modules/.bin", False),
    ],
)
def test_a_value_is_hidden_unless_it_is_a_path_a_short_number_or_too_short(
    value: str, hidden: bool
) -> None:
    """Hiding a path, a count or a word-sized value would cut every such path, number or word
    out of the log."""
    assert worth_hiding(value) is hidden
