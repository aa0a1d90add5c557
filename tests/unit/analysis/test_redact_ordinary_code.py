"""Ordinary code, tests and docs stay as they are: the shapes of lines that real
repositories hold and earlier redaction changed, each beside the secret of the same place
that must still go."""

from __future__ import annotations

import base64

import pytest

from cicd_agent.analysis.redact import Redactor

TOKEN = "Zq8Kd7Qx1Lm4Zr8Tv3Wc6Yp0Hs5Bn2Ja"

ORDINARY = [
    # A lock file's integrity digest and a GitHub node id are public, not tokens.
    '"integrity": "sha512-J0u0eRk2SSFbz/YBfBbgkqGhE5H2MTyP6Y3kOM1NwKv3rV0eRi7jqAcbQUUwx'
    'r1+kPhHyHDEsk+SPZ5AsNY9Q==",',
    'questions_translations_category_id = "DIC_kwDOCZduT84CT5P9"',
    # Class names with a digit, dotted paths to them, numbered names.
    "profile = cable_profiles.Trunk4C6PCableProfile",
    "::: fastapi.security.OAuth2PasswordRequestForm",
    'assert "window.opener.swaggerUIRedirectOauth2" in response.text',
    "auth: defaultToConfig2,",
    'c1 = eng.connect().execution_options(logging_token="my_name_1")',
    "withCredentials: !!_config.withCredentials,",
    "self.swagger_ui_init_oauth = swagger_ui_init_oauth",
    # A docs line naming a page, a template, an author.
    "- 'Authentication': 'api-guide/authentication.md'",
    "auth = 'Basic %s' % base64_credentials",
    '__author__ = "Guido van Rossum <guido@python.org>"',
    # Documentation's user:password pairs and example tokens.
    'engine = create_engine("postgresql+psycopg2://scott:tiger@localhost/test")',
    'engine = create_engine("mysql+pymysql://user:pass@host/db")',
    'url = "http://username:password@example.org:80/echo_headers"',
    'headers={"Authorization": "Bearer testtoken"}',
    'headers={"Authorization": "Basic notabase64token"}',
    '"authorization": "Basic ' + base64.b64encode(b"username:password").decode() + '",',
    # Headings that mention a password, and a package whose name has "hook" in it.
    "## Get the `username` and `password` { #get-the-username-and-password }",
    '"resolved": "https://registry.npmjs.org/before-after-hook/-/before-after-hook-2.2.3.tgz",',
]


@pytest.mark.parametrize("line", ORDINARY)
def test_an_ordinary_line_stays(line: str) -> None:
    assert Redactor().redact(line) == line


URL_PASSWORDS = [
    # The same places holding a real credential still lose it: a chosen password, a real
    # default account's (``root``, ``guest``), any password without a user.
    ("postgresql://scott:Xk8#pQ2vLm@db.internal/app", "Xk8#pQ2vLm"),
    ("mysql://root:password@db/app", "password"),
    ("amqp://guest:guest@rabbit//", "guest"),
    ("redis://:password@cache:6379", "password"),
    ("https://user:hunter2@host/", "hunter2"),
]


@pytest.mark.parametrize(("url", "password"), URL_PASSWORDS)
def test_a_real_url_password_goes(url: str, password: str) -> None:
    redacted = Redactor().redact(url)
    assert f":{password}@" not in redacted
    assert "[REDACTED:password in URL]@" in redacted


SECRETS = [
    ("Authorization: Bearer " + TOKEN, TOKEN),
    ("Authorization: Basic " + base64.b64encode(b"ci:Xk8pQ2vLm9").decode(), "Y2k6WGs4"),
    ("Authorization: Bearer abc", "abc"),
    ("SECRET_KEY = 'profile_" + TOKEN + "'", TOKEN),
    ("api_token = 'Trunk4C6P" + TOKEN + "'", TOKEN),
]


@pytest.mark.parametrize(("line", "secret"), SECRETS)
def test_a_credential_in_the_same_place_goes(line: str, secret: str) -> None:
    assert secret not in Redactor().redact(line)
