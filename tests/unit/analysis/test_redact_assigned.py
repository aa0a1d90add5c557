"""Values assigned to secret-named keys, and placeholders.

A secret-named key says its value is a credential, whatever the token looks like: a few
kilobytes of it, ``user:token``, a dotted vendor token. A placeholder (``xxxxx``, one character
repeated, a counting run, a repeated chunk, ``EXAMPLE``) is not a secret wherever it stands,
and a key that names a secret's id, name or place holds none. The values are made up here, of
the documented forms; none comes from a scanner's test set."""

from __future__ import annotations

import random
import string

import pytest

from cicd_agent.analysis.redact import Redactor, find_secrets

_RANDOM = random.Random(35)


def _token(count: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_RANDOM.choice(alphabet) for _ in range(count))


LONG = _token(300, string.ascii_letters + string.digits + "+/") + "=="
FORMS = (
    'api_token = "{s}"',
    "API_TOKEN={s}",
    '{{"api_token": "{s}"}}',
    "api_token: '{s}'",
    'export API_TOKEN="{s}"',
    "<password>{s}</password>",
)
SECRETS = {
    "a token of a few hundred characters": LONG,
    "user and token": "deploy-bot:" + _token(24),
    "id, slash and colon": "7/" + _token(16, string.digits) + ":" + _token(32),
    "dotted vendor token": "pk."
    + _token(60, string.ascii_lowercase + string.digits)
    + "."
    + _token(22),
    "versioned token": "tkn.v1_" + _token(64) + "=",
    "a constant's shape around a random run": "API_KEY"
    + _token(32, string.ascii_uppercase + string.digits),
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", sorted(SECRETS))
def test_a_value_assigned_to_a_secret_named_key_is_redacted(name: str, form: str) -> None:
    secret = SECRETS[name]
    redacted = Redactor().redact(form.format(s=secret))
    assert all(secret[i : i + 12] not in redacted for i in range(len(secret) - 11)), redacted


PLACEHOLDERS = [
    "ghp_" + "x" * 36,
    "glpat-" + "X" * 20,
    "AKIA" + "Z" * 16,
    "xoxb-" + "1" * 12 + "-" + "a" * 12,
    "sk_live_" + "abcdefghijklmnopqrstuvwx",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "abcd1234" * 6,
    "shippo_test_" + "0123456789" * 4,
]


@pytest.mark.parametrize("value", PLACEHOLDERS)
def test_a_placeholder_is_no_finding(value: str) -> None:
    for text in (value, f"aws_secret_access_key = {value}", f'"token": "{value}"'):
        assert find_secrets(text) == []


UNMARKED_PLACEHOLDERS = [
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "abcd1234" * 6,
]


@pytest.mark.parametrize("value", UNMARKED_PLACEHOLDERS)
def test_filler_alone_is_left_alone_and_assigned_to_a_secret_name_is_redacted(value: str) -> None:
    """The scanners' samples hold such filler where a key says a secret goes
    (``API_TOKEN=12345678-ABCD-…``); redacting it costs nothing. Alone it is just text."""
    assert Redactor().redact(value) == value
    for text in (f"aws_secret_access_key = {value}", f'"token": "{value}"'):
        assert value not in Redactor().redact(text)


@pytest.mark.parametrize(
    "text",
    [
        'token = "<your-token>"',
        "api_key: your_api_key_here",
        "password = ${DB_PASSWORD}",
        '"WWW-Authenticate": \'Digest realm="...", qop="auth", nonce="..."\'',
    ],
)
def test_a_template_or_a_challenge_stays(text: str) -> None:
    assert Redactor().redact(text) == text


@pytest.mark.parametrize(
    "value",
    ["ghp_" + "x" * 36, "AKIA" + "Z" * 16, "glpat-" + "X" * 20, "shippo_test_" + "0123456789" * 4],
)
def test_a_placeholder_with_a_vendor_mark_is_redacted(value: str) -> None:
    """A vendor's prefix with filler after it is redacted like a secret (harmless),
    so the redactor need not judge how random the rest is; a finding still does."""
    assert value not in Redactor().redact(f"token = {value}")
    assert value not in Redactor().redact(value)


@pytest.mark.parametrize(
    "text",
    [
        "credentialsId: '4f1c9a7e-2b3d-4e8f-9a0b-6c5d4e3f2a1b'",
        '  "SECRET_ID": "Qx7Lm2Rt9Kw4Zp8Nc3Vb",',
        'vault_secret_name = "PROD-DB-PASSWORD-V2"',
        "token_url: https://auth.example.net/oauth/token",
        "private_key_path = /etc/ssl/private/server.key",
        "secret_length = Curve448.secret_length",
        "token = settings.API_TOKEN",
        "password = os.environ['DB_PASSWORD']",
        "token_scope: read:packages|write:packages",
        "auth: admin:operators",
    ],
)
def test_what_names_a_secret_or_points_to_one_is_not_one(text: str) -> None:
    assert Redactor().redact(text) == text


def test_a_real_looking_value_beside_those_keys_still_goes() -> None:
    token = _token(40)
    for text in (
        f"credentials: '{token}'",
        f"secret_key = {token}",
        f"auth: {token}",
        f"password: kevin:{token[:14]}",
    ):
        assert token not in Redactor().redact(text)


@pytest.mark.parametrize(
    "secret",
    [
        # LaunchDarkly's documented SDK key: sdk- and a UUID-shaped 36 characters.
        "sdk-"
        + "-".join(_token(n, string.ascii_lowercase + string.digits) for n in (8, 4, 4, 4, 12)),
        # Zoho's documented OAuth token: 1000.<32 hex>.<32 hex>.
        "1000." + _token(32, "0123456789abcdef") + "." + _token(32, "0123456789abcdef"),
        # A webhook whose host does not say so: the path does.
        "https://a1.flowrunner.io/webhook/" + _token(32) + "/" + _token(32),
    ],
)
def test_documented_vendor_shapes_are_redacted_alone(secret: str) -> None:
    redacted = Redactor().redact(f"sending with {secret} now")
    assert all(secret[i : i + 12] not in redacted for i in range(len(secret) - 11)), redacted


def test_a_number_that_starts_like_a_zoho_token_is_kept() -> None:
    text = "took 1000.25 ms; sdk-version 1.2.3"
    assert Redactor().redact(text) == text
