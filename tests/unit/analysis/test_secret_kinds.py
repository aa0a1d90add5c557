"""A secret finding names the kind of token its value is: a new user's committed personal
access token was called a "GitHub token", as every GitHub token was, whatever its kind."""

from __future__ import annotations

import pytest

from cicd_agent.analysis.diff import parse_diff
from cicd_agent.analysis.findings import diff_findings

BODY = "Zq3vT8kLmN2pR7sW4xY9aB1cD5eF6gH0jK2m"


def _titles(line: str, path: str = "app.py") -> list[str]:
    return [title for _, title in _found(line, path)]


def _found(line: str, path: str) -> list[tuple[str, str]]:
    text = (f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1,1 +1,2 @@\n"
            f" x = 1\n+{line}\n")  # fmt: skip
    found = diff_findings(parse_diff(text))
    return [(f.severity.label, f.title) for f in found if f.rule == "secret"]


@pytest.mark.parametrize(("value", "kind"), [
    (f"ghp_{BODY}", "GitHub personal access token"),  # pytimeparse's, as committed
    (f"gho_{BODY}", "GitHub OAuth access token"),
    (f"ghs_{BODY}", "GitHub App installation token"),
    (f"github_pat_11ABCDEFG0{BODY}_{BODY}{BODY[:23]}", "GitHub fine-grained personal access token"),
])  # fmt: skip
def test_each_github_token_is_named_by_its_kind(value: str, kind: str) -> None:
    assert _titles(f'GITHUB_TOKEN = "{value}"') == [f"Possible {kind} committed"]


def test_a_shape_with_no_kind_of_its_own_keeps_its_name() -> None:
    assert _titles('KEY = "AKIAZQ3VT8KLMN2PR7SW"') == ["Possible AWS access key id committed"]


@pytest.mark.parametrize(("line", "kind"), [
    (f'ghp_fallback = "gho_{BODY}"', "GitHub OAuth access token"),
    (f'xoxb_note = "xoxp-1234567890-1234567890-{BODY[:24]}"', "Slack user token"),
])  # fmt: skip
def test_attack_a_name_with_another_kinds_prefix_does_not_name_the_value(
    line: str, kind: str
) -> None:
    """The kind is read from the value's own span, never the name beside it: a variable named
    ``ghp_…`` must not make an OAuth token a personal access token (the one the reader would
    revoke). Held when written."""
    assert _titles(line) == [f"Possible {kind} committed"]


AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8kx3Lm9a"


@pytest.mark.parametrize(("path", "line"), [
    ("semantic_version/base.py", f'AWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"'),
    ("quote.go", f'const awsSecret = "{AWS_SECRET}"'),
    ("index.js", f"var awsSecret = '{AWS_SECRET}'"),
    ("src/lib.rs", f'const AWS_SECRET: &str = "{AWS_SECRET}";'),
])  # fmt: skip
def test_an_aws_secret_key_is_one_kind_and_severity_in_every_language(
    path: str, line: str
) -> None:
    """A new user's one key, committed in four projects: critical "AWS secret access key" in
    Rust, where only the AWS rule matched, and high "hard-coded secret" in Python, Go and
    JavaScript, where the assignment rule matched the same span first."""
    assert _found(line, path) == [("critical", "Possible AWS secret access key committed")]
