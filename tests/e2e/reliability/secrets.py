"""Secrets of every common shape, and where a run may leave text for people or later jobs.

Values are made up but shaped exactly like the real ones (prefixes, lengths, alphabets), built
from a fixed seed so a failure names the same value on every run.
"""

from __future__ import annotations

import base64
import random
import string
from dataclasses import dataclass

from tests.e2e.reliability.scenarios import Outcome
from tests.harness.github_mock import TOKEN as GITHUB_TOKEN
from tests.harness.model_server import TEST_API_KEY

_RANDOM = random.Random(20261122)
_ALNUM = string.ascii_letters + string.digits


def _chars(count: int, alphabet: str = _ALNUM) -> str:
    return "".join(_RANDOM.choice(alphabet) for _ in range(count))


@dataclass(frozen=True)
class Secret:
    """``value`` must never leave the run; ``line`` is how it sits in a file, log or message."""

    kind: str
    value: str
    line: str


MASKED_NAME = "RELEASE_SIGNING_PASSWORD"
MASKED_VALUE = f"Opaque-{_chars(6)}-{_chars(6)}"
"""Shaped like nothing: only known because the workflow passes it as a secret variable."""

_PRIVATE_KEY_BODY = base64.b64encode(_RANDOM.randbytes(180)).decode()
SECRETS: tuple[Secret, ...] = tuple(
    Secret(kind, value, line.format(value))
    for kind, value, line in (
        ("GitHub token (classic)", f"ghp_{_chars(36)}", "GH_PAT={}"),
        (
            "GitHub token (fine-grained)",
            f"github_pat_{_chars(22)}_{_chars(59)}",
            "export GITHUB_PAT={}",
        ),
        ("GitHub Actions token", GITHUB_TOKEN, "Authorization: token {}"),
        ("GitHub app token", f"ghs_{_chars(36)}", "installation_token = '{}'"),
        (
            "AWS access key id",
            f"AKIA{_chars(16, string.ascii_uppercase + string.digits)}",
            "aws_access_key_id = {}",
        ),
        ("AWS secret access key", _chars(40, _ALNUM + "/+"), "aws_secret_access_key = {}"),
        (
            "private key",
            _PRIVATE_KEY_BODY,
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
        ),
        ("OpenAI key (project)", f"sk-proj-{_chars(48)}", "OPENAI_API_KEY={}"),
        ("OpenAI key (this run's)", TEST_API_KEY, "api_key: {}"),
        ("Anthropic key", f"sk-ant-api03-{_chars(40)}", "ANTHROPIC_API_KEY={}"),
        ("Slack bot token", f"xoxb-{_chars(11, string.digits)}-{_chars(24)}", "SLACK_BOT_TOKEN={}"),
        (
            "Slack webhook",
            f"https://hooks.slack.com/services/T{_chars(8)}/B{_chars(8)}/{_chars(24)}",
            "slack_webhook_url: {}",
        ),
        ("Stripe key", f"sk_live_{_chars(24)}", "STRIPE_SECRET_KEY={}"),
        ("Google API key", f"AIza{_chars(35)}", "GOOGLE_API_KEY={}"),
        ("npm token", f"npm_{_chars(36)}", "//registry.npmjs.org/:_authToken={}"),
        (
            "password in a .env URL",
            f"Pg-{_chars(14)}",
            "DATABASE_URL=postgres://app:{}@db.internal:5432/app",
        ),
        ("assigned .env secret", _chars(32, string.hexdigits.lower()), "SESSION_SECRET={}"),
        ("JSON web token", f"eyJ{_chars(20)}.eyJ{_chars(30)}.{_chars(32)}", "Bearer {}"),
        ("masked secret variable", MASKED_VALUE, "signing with {}"),
    )
)
_FIXED = frozenset({GITHUB_TOKEN, TEST_API_KEY})
SECRET_ENV = {MASKED_NAME: MASKED_VALUE, "INPUT_GITHUB-TOKEN": GITHUB_TOKEN}
"""What the workflow passes: the signing password as a secret variable, the token as input."""


def env_file() -> str:
    """Every secret as lines of a ``.env``-like file (the private key spans three lines)."""
    return "\n".join(secret.line for secret in SECRETS) + "\n"


def python_module() -> str:
    """Every secret inside a Python function (so the function's source, which gen-tests shows
    the model, holds them all)."""
    return f'def production_settings():\n    return """\n{env_file()}""".splitlines()\n'


def commit_message() -> str:
    return "Rotate credentials\n\n" + env_file()


@dataclass(frozen=True)
class Leak:
    mode: str
    kind: str
    surface: str
    context: str


PART = 12
"""Characters of a secret's random part that count as a leak on their own: a secret cut in
two by a length limit is no longer secret-shaped, and its first half is still a leak."""


def fragments(value: str) -> list[str]:
    """Windows of ``PART`` characters every 4 characters: any piece of ``PART + 3`` or more
    characters of ``value`` contains one."""
    return [value[i : i + PART] for i in range(0, max(len(value) - PART, 0) + 1, 4)]


def leaks(mode: str, outcome: Outcome, secrets: tuple[Secret, ...] = SECRETS) -> list[Leak]:
    """Every planted secret, whole or in part, found anywhere the run left text
    (``::add-mask::`` lines aside). Parts are looked for in randomly generated secrets only:
    the harness's fixed test token has runs of zeros that null SHAs share."""
    found = []
    for surface, text in outcome.surfaces().items():
        for secret in secrets:
            pieces = fragments(secret.value) if secret.value not in _FIXED else [secret.value]
            at = next((text.find(p) for p in pieces if p in text), -1)
            if at >= 0:
                context = text[max(0, at - 80) : at + len(secret.value) + 20]
                found.append(Leak(mode, secret.kind, surface, context))
    return found
