"""A rule's :attr:`Rule.reach` skips the keywords after one where its pattern failed; the skip
must lose no match. Each rule with a reach is run on lines mixing its keywords, commands,
separators and assignments, and its matches are compared with the pattern tried at every
keyword (what the matcher did before: right, and quadratic on a line of one keyword)."""

from __future__ import annotations

import random
import re
import sys

import pytest

from cicd_agent.analysis.secrets.loading import rule_set
from cicd_agent.analysis.secrets.matcher import _matches, find_secrets
from cicd_agent.analysis.secrets.rule import Rule
from tests.helpers.bounded import run_bounded

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


# -------------------------------------------------------- Attacks: lines that stalled redaction
# Red team, round three: the webhook-URL shape (``analysis/secrets/shapes.py``) nested a lazy
# path loop inside a lazy run, cubic on a line of repeated webhook-looking URLs with no token:
# ``https://hooks.slack.com/services/t:`` repeated, 4 KB 0.26 s, 8 KB 2.1 s, 16 KB 26 s
# (``find_secrets(line, broad=True)``). Redaction reads every log line (8 KB each: a 3 MiB log
# of them about 13 minutes) and every text sent to a model (a pull request's diff lines, any
# length). Given 15 s in a fresh interpreter, as the stall tests of the modes are; the shape's
# own tests (``test_redact_families``) still pass.


HOOKS = "https://hooks.slack.com/services/t:" * 900  # 31.5 KB, one line


def _scan_ends(text: str) -> None:
    script = (
        "import sys\n"
        "from cicd_agent.analysis.secrets.matcher import find_secrets\n"
        "print(len(find_secrets(sys.stdin.read(), broad=True)))\n"
    )
    done = run_bounded([sys.executable, "-c", script], input=text)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_line_of_tokenless_webhook_urls_does_not_stall_redaction() -> None:
    _scan_ends(HOOKS)


@pytest.mark.parametrize(
    ("unit", "size"),
    [("curl -u ", 64_000), ("AGE-SECRET-KEY-1", 64_000), ("docker login ", 128_000),
     ("mysql ", 128_000)],
    ids=["curl-auth", "assigned-secret", "docker-login", "mysql"],
)  # fmt: skip
def test_a_line_of_one_keyword_repeated_does_not_stall_redaction(unit: str, size: int) -> None:
    """Before each rule's :attr:`Rule.reach` (rules tried at every keyword of a line scanned
    to its end from each one: gitleaks' curl-auth-user/-header, 'assigned secret', 'password
    option'), one line (``find_secrets(line, broad=True)``, seconds at 16/32/64 KB):
    ``curl -u `` 2.4/8.6/~35, ``AGE-SECRET-KEY-1`` 1.0/4.3/19.7, ``docker login ``
    0.7/2.4/7.2, ``mysql `` 0.9/3.6/~14: quadratic, and a diff line has no length limit."""
    _scan_ends(unit * (size // len(unit)))


def test_a_webhook_url_is_still_redacted_whole_wherever_hook_is() -> None:
    token = "Xk3pQ9vLm2Rt7Wz8Yb4N"
    for url in (
        f"https://hooks.slack.com/services/T000/B000/{token}",
        f"https://x.tines.com/webhook/abc/{token}",
        f"https://acme.io/a/b/api/hooks/{token}?x=1",
        f"https://proxy.acme.io/x/https://discord.com/api/webhooks/1/{token}",
    ):
        text = f"curl -X POST '{url}' -d x"
        hits = [hit for hit in find_secrets(text, broad=True) if hit.kind == "webhook URL"]
        assert [text[hit.start : hit.end] for hit in hits] == [url], url


def test_a_url_without_a_token_after_hook_is_not_a_webhook() -> None:
    for url in (
        "https://hooks.acme.io/short/abc",
        "https://acme.io/a-very-long-path-name/hook",
    ):
        assert not [h for h in find_secrets(url, broad=True) if h.kind == "webhook URL"], url


@pytest.mark.parametrize(
    "text",
    ["curl" + "\r" * 65_536, "curl -u " + "\r" * 65_536 + "x", "curl a\r" * 9_000],
    ids=["carriage-returns", "user-then-carriage-returns", "curl-per-carriage-return"],
)
def test_carriage_returns_after_curl_do_not_stall_redaction(text: str) -> None:
    """gitleaks' curl-auth rules count ``\\r`` as a line break and ``.`` takes it too, so
    ``curl`` and n carriage returns could be split in exponentially many ways: 50 took 20 s
    (found after the reach fix; it was there before). Read as bytes: a text-mode stdin would
    turn each ``\\r`` into ``\\n``."""
    script = (
        "import sys\n"
        "from cicd_agent.analysis.secrets.matcher import find_secrets\n"
        "print(len(find_secrets(sys.stdin.buffer.read().decode(), broad=True)))\n"
    )
    done = run_bounded([sys.executable, "-c", script], input=text.encode(), text=False)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_curl_credential_on_crlf_lines_is_still_found() -> None:
    from cicd_agent.analysis.secrets.matcher import find_secrets

    text = "curl https://api.example.com \\\r\n  -u admin:s3cr3tPassw0rd\r\n"
    assert [hit.kind for hit in find_secrets(text, broad=True)] != []
