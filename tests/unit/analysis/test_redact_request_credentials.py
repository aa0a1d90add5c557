"""Request credentials in any text are redacted: authorisation headers of every
scheme, passwords in URLs with or without a user, and the password options of common clients.

Each case is a line as a log, a script or a config shows it; ``secret`` must be gone and
``kept`` (what says what the line does) must stay.
"""

from __future__ import annotations

import base64
import re

import pytest

from cicd_agent.analysis.redact import Redactor, find_secrets

B64 = base64.b64encode(b"deploy-bot:Vq7rT2mLx9").decode()
TOKEN = "9f2Kd7Qx1Lm4Zr8Tv3Wc6Yp0Hs5Bn2Ja"
PASSWORD = "Tr0ub4dor-3xq"

CASES = [
    # Authorization headers, every scheme.
    (f"Authorization: Basic {B64}", B64, "Authorization: Basic "),
    (f"authorization: basic {B64}", B64, "authorization: basic "),
    (f"Authorization: Bearer {TOKEN}", TOKEN, "Authorization: Bearer "),
    (f"Authorization: token {TOKEN}", TOKEN, "Authorization: token "),
    (f"Authorization: Token token={TOKEN}", TOKEN, "Authorization: Token "),
    (f"Authorization: Bot {TOKEN}", TOKEN, "Authorization: Bot "),
    (f"Authorization: SSWS {TOKEN}", TOKEN, "Authorization: SSWS "),
    (f"Authorization: {TOKEN}", TOKEN, "Authorization: "),
    (
        f'Authorization: Digest username="ci", realm="api", nonce="dcd98b7102dd", '
        f'uri="/x", response="{TOKEN}"',
        TOKEN,
        "Authorization: Digest ",
    ),
    (
        f"Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/"
        f"aws4_request, SignedHeaders=host;x-amz-date, Signature={TOKEN}",
        TOKEN,
        "Authorization: ",
    ),
    (f"Proxy-Authorization: Basic {B64}", B64, "Proxy-Authorization: Basic "),
    (
        f'{{"proxy-authorization": "Digest username=\\"ci\\", response=\\"{TOKEN}\\""}}',
        TOKEN,
        '{"proxy-authorization": ',
    ),
    (f"> Authorization: Bearer {TOKEN}\r\n", TOKEN, "> Authorization: Bearer "),
    (f"AUTHORIZATION: basic {B64}", B64, "AUTHORIZATION: basic "),
    (f"extraheader = AUTHORIZATION: basic {B64}", B64, "extraheader = AUTHORIZATION: basic "),
    # The same in curl, JSON, YAML and code.
    (f"curl -H 'Authorization: Bearer {TOKEN}' https://api.x", TOKEN, "curl -H 'Authorization"),
    (f'curl --header "Authorization: Basic {B64}" https://x', B64, 'curl --header "Authorization'),
    (f"curl -u ci:{PASSWORD} https://x", PASSWORD, "curl -u "),
    (f"curl --user ci:{PASSWORD} https://x", PASSWORD, "curl --user "),
    (f'{{"authorization": "Bearer {TOKEN}"}}', TOKEN, '{"authorization": "Bearer '),
    (f'{{"Authorization": "Basic {B64}"}}', B64, '{"Authorization": "Basic '),
    (f"  authorization: Bearer {TOKEN}", TOKEN, "  authorization: Bearer "),
    (f"  Authorization: 'token {TOKEN}'", TOKEN, "  Authorization: 'token "),
    (f"headers = {{'Authorization': 'Bearer {TOKEN}'}}", TOKEN, "headers = {'Authorization'"),
    (f'req.Header.Set("Authorization", "Bearer {TOKEN}")', TOKEN, 'req.Header.Set("Authorization"'),
    (f"-H 'X-Api-Key: {TOKEN}'", TOKEN, "-H 'X-Api-Key: "),
    # Passwords in URLs, with or without a user.
    (f"redis://:{PASSWORD}@cache:6379/0", PASSWORD, "redis://:"),
    (f"rediss://default:{PASSWORD}@cache:6380", PASSWORD, "rediss://default:"),
    (f"https://ci:{PASSWORD}@git.example.com/x.git", PASSWORD, "https://ci:"),
    (f"postgres://u:{PASSWORD}@h/db", PASSWORD, "postgres://u:"),
    (f"amqp://guest:{PASSWORD}@rabbit//", PASSWORD, "amqp://guest:"),
    (f"mongodb+srv://app:{PASSWORD}@cluster0.x.net/db", PASSWORD, "mongodb+srv://app:"),
    (f"https://{TOKEN}@github.com/org/repo.git", TOKEN, "@github.com/org/repo.git"),
    (f"https://x-access-token:{TOKEN}@github.com/o/r", TOKEN, "https://x-access-token:"),
    (f"url = https://ci:{PASSWORD}@host/x", PASSWORD, "url = https://ci:"),
    # Password options of common clients.
    (f"mysql -u root -p{PASSWORD} app", PASSWORD, "mysql -u root -p"),
    (f"mysql -uroot -p{PASSWORD} -h db", PASSWORD, "mysql -uroot -p"),
    (f"mysqladmin -u root -p{PASSWORD} status", PASSWORD, "mysqladmin -u root -p"),
    (f"mysqldump --password={PASSWORD} app", PASSWORD, "mysqldump --password="),
    (f"mysql --password {PASSWORD} app", PASSWORD, "mysql --password "),
    (f"PGPASSWORD={PASSWORD} psql -h db -U app", PASSWORD, "psql -h db -U app"),
    (f"PGPASSWORD='{PASSWORD}' pg_dump app", PASSWORD, "pg_dump app"),
    (f"MYSQL_PWD={PASSWORD} mysql app", PASSWORD, "mysql app"),
    (f"sshpass -p {PASSWORD} ssh ci@host", PASSWORD, "sshpass -p "),
    (f"sshpass -p'{PASSWORD}' scp a ci@host:", PASSWORD, "sshpass -p"),
    (f"redis-cli -a {PASSWORD} ping", PASSWORD, "redis-cli -a "),
    (f"redis-cli -h cache -a '{PASSWORD}' --no-auth-warning", PASSWORD, "redis-cli -h cache -a"),
    (f"redis-cli --pass {PASSWORD} ping", PASSWORD, "redis-cli --pass "),
    (f"docker login -u ci -p {PASSWORD} ghcr.io", PASSWORD, "docker login -u ci -p "),
    (f"docker login --password {PASSWORD} ghcr.io", PASSWORD, "docker login --password "),
    (f"htpasswd -b .htpasswd ci {PASSWORD}", PASSWORD, "htpasswd -b .htpasswd ci "),
    (f"+ psql postgresql://app:{PASSWORD}@db:5432/app -c 'select 1'", PASSWORD, "+ psql "),
    (f"--password={PASSWORD}", PASSWORD, "--password="),
    (f"--db-password {PASSWORD}", PASSWORD, "--db-password "),
]


@pytest.mark.parametrize(("line", "secret", "kept"), CASES, ids=[c[0][:40] for c in CASES])
def test_request_credentials_are_redacted(line: str, secret: str, kept: str) -> None:
    redacted = Redactor().redact(f"2024-05-14T09:12:03.1Z {line}\nnext line")
    assert secret not in redacted, redacted
    assert secret[:12] not in redacted, redacted
    assert kept in redacted, redacted
    assert redacted.endswith("\nnext line")


SHORT = "hunter2x"


@pytest.mark.parametrize(
    "line",
    [
        f"Authorization: Basic {base64.b64encode(b'ci:' + SHORT.encode()).decode()}",
        f"redis://:{SHORT}@cache",
        f"mysql -uroot -p{SHORT}",
        f"redis-cli -a {SHORT}",
        f"sshpass -p {SHORT} ssh host",
        f"PGPASSWORD={SHORT} psql",
    ],
)
def test_short_and_plain_passwords_are_redacted_too(line: str) -> None:
    """A password needs no entropy to be one: the place it stands in says so."""
    redacted = Redactor().redact(line)
    assert SHORT not in redacted and "[REDACTED:" in redacted, redacted
    if "Basic" in line:
        assert line.split()[-1] not in redacted


@pytest.mark.parametrize(
    "line",
    [
        "Authorization: Bearer ${TOKEN}",
        'Authorization: "Bearer $GITHUB_TOKEN"',
        "authorization: Bearer ${{ secrets.GITHUB_TOKEN }}",
        "-H 'Authorization: Bearer <token>'",
        "Authorization header missing",
        "authorization: the request had no credentials",
        "Authorization: Bearer",
        "redis://cache:6379/0",
        "https://github.com/org/repo.git",
        "postgres://app@db/x",
        "user@example.com:22",
        "git@github.com:org/repo.git",
        "mysql -u root -p",
        "mysql -u root -p app < dump.sql",
        "ps -p 1234",
        "pip install -r requirements.txt -p 3",
        "ssh -p 2222 ci@host",
        "docker run -p 8080:80 nginx",
        "redis-cli -a $REDIS_PASSWORD ping",
        'sshpass -p "$SSHPASS" ssh host',
        "mkdir -p build/output",
        "python -m pytest -p no:cacheprovider",
        "--password-file /run/secrets/db",
        "--password=$DB_PASSWORD",
    ],
)
def test_lines_without_a_credential_are_left_alone(line: str) -> None:
    assert Redactor().redact(line) == line


# ---------------------------------------------------------------- weak values in request places
# A second review found credentials left because they looked weak or like a word:
# the place a value stands in makes it a credential, whatever it looks like. Each case is the
# line and what redaction must make of it (any marker kind), so a one-letter password is
# checked exactly and no quote of the header is left behind.
R = "[REDACTED]"
WEAK = [
    # URL userinfo: the password is a credential, however short or word-like.
    ("https://user:hunter2@host/", f"https://user:{R}@host/"),
    ("https://u:PASS@h/x", f"https://u:{R}@h/x"),
    ("https://ci:pw@git.example.com/x.git", f"https://ci:{R}@git.example.com/x.git"),
    ("postgres://u:p@h/db", f"postgres://u:{R}@h/db"),
    ("redis://:pw@h", f"redis://:{R}@h"),
    ("redis://:password@host", f"redis://:{R}@host"),
    ("mysql://root:password@db/app", f"mysql://root:{R}@db/app"),
    ("amqp://guest:guest@rabbit//", f"amqp://guest:{R}@rabbit//"),
    ("https://u:p@ss@host/x", f"https://u:{R}@host/x"),
    # Password options and the variables clients read their password from.
    ("mysql -pPASS db", f"mysql -p{R} db"),
    ("mysql -pPASS", f"mysql -p{R}"),
    ("mysql -uroot -proot app", f"mysql -uroot -p{R} app"),
    ("mysql -uroot --password=root app", f"mysql -uroot --password={R} app"),
    ("PGPASSWORD=postgres psql", f"PGPASSWORD={R} psql"),
    ("export PGPASSWORD=postgres", f"export PGPASSWORD={R}"),
    ("  PGPASSWORD: postgres", f"  PGPASSWORD: {R}"),
    ("SSHPASS=S3cretPass sshpass -e ssh h", f"SSHPASS={R} sshpass -e ssh h"),
    ("MYSQL_PWD=root mysql app", f"MYSQL_PWD={R} mysql app"),
    ("REDISCLI_AUTH=pw redis-cli ping", f"REDISCLI_AUTH={R} redis-cli ping"),
    ("sshpass -p pw ssh h", f"sshpass -p {R} ssh h"),
    ("redis-cli -a pw ping", f"redis-cli -a {R} ping"),
    ("docker login -u ci -p pw ghcr.io", f"docker login -u ci -p {R} ghcr.io"),
    ("curl -u ci:p https://x", f"curl -u ci:{R} https://x"),
    ("htpasswd -b .htpasswd ci pw", f"htpasswd -b .htpasswd ci {R}"),
    # Authorization and Proxy-Authorization: any non-empty credential after a scheme.
    ("Authorization: token x", f"Authorization: token {R}"),
    ("Authorization: Bearer abc", f"Authorization: Bearer {R}"),
    ("Authorization: Basic dTpw", f"Authorization: Basic {R}"),
    ("Proxy-Authorization: Bearer abc", f"Proxy-Authorization: Bearer {R}"),
    ("Proxy-Authorization: Negotiate YIIBzgYGKwYBBQUC", f"Proxy-Authorization: Negotiate {R}"),
    ("Authorization: Negotiate YIIBzgYGKwYBBQUC", f"Authorization: Negotiate {R}"),
    ("Authorization: NTLM TlRMTVNTUAABAAAAB4IIog==", f"Authorization: NTLM {R}"),
    ("Proxy-Authorization: NTLM TlRMTVNTUAABAAAAB4IIog==", f"Proxy-Authorization: NTLM {R}"),
    ("Authorization: Kerberos YIIBzgYGKwYBBQUC", f"Authorization: Kerberos {R}"),
    ("Authorization: CustomScheme QWxhZGRpbjpvcGVu", f"Authorization: CustomScheme {R}"),
    ("Authorization: X-Key a1b2", f"Authorization: X-Key {R}"),
    (
        'curl -H "Proxy-Authorization: Negotiate YIIBzg" https://x',
        f'curl -H "Proxy-Authorization: Negotiate {R}" https://x',
    ),
    # Digest: the parameters go whole, and the quotes around the header stay balanced.
    (
        'Authorization: Digest username="a", response="6629fae49393a05397450978507c4ef1"',
        f"Authorization: Digest {R}",
    ),
    (
        'Proxy-Authorization: Digest username="a", nonce="b", response="c"',
        f"Proxy-Authorization: Digest {R}",
    ),
    (
        'curl -H \'Authorization: Digest username="a", response="6629"\' https://x',
        f"curl -H 'Authorization: Digest {R}' https://x",
    ),
    (
        '{"Authorization": "Digest username=\\"a\\", response=\\"6629\\""}',
        f'{{"Authorization": "{R}"}}',  # the assigned-secret rule takes the scheme too
    ),
    (
        "headers = {'Proxy-Authorization': 'Digest username=\"a\", response=\"b\"'}",
        f"headers = {{'Proxy-Authorization': '{R}'}}",
    ),
]


def _markers_as_one(text: str) -> str:
    return re.sub(r"\[REDACTED:[^\]]*\]", R, text)


@pytest.mark.parametrize(("line", "expected"), WEAK, ids=[c[0][:48] for c in WEAK])
def test_weak_credentials_in_request_places_are_redacted(line: str, expected: str) -> None:
    redactor = Redactor()
    redacted = redactor.redact(f"2024-05-14T09:12:03.1Z {line}\nnext line")
    assert _markers_as_one(redacted) == f"2024-05-14T09:12:03.1Z {expected}\nnext line"
    assert redactor.redact(redacted) == redacted  # a marker is not a credential


@pytest.mark.parametrize(
    "line",
    [
        # What stands in for a credential, not a credential: variables, expressions,
        # placeholders, templates and the runner's own mask.
        "https://user:${PASS}@host/",
        "https://user:$PASS@host/",
        "redis://:<password>@host",
        "https://x:${{secrets.TOKEN}}@github.com/o/r",
        "https://x:${{ secrets.TOKEN }}@github.com/o/r",
        "postgres://{user}:{password}@{host}/db",
        "https://u:***@h/x",
        "mysql -p$MYSQL_PASSWORD app",
        'sshpass -p "$1" ssh "$2"',  # a script's arguments
        'mysql -p"${MYSQL_PASSWORD}" app',
        "PGPASSWORD=$PGPASS psql",
        'SSHPASS="${SSHPASS}" sshpass -e ssh h',
        "  PGPASSWORD: ${{ secrets.PG }}",
        "Authorization: token ${{ secrets.X }}",
        "Proxy-Authorization: Negotiate <token>",
        "Authorization: Basic ***",
        # Words about a credential, not one.
        "authorization: token has expired",
        "Proxy-Authorization header missing",
        "Authorization: not required",
        "sshpass: command not found",
        "PGPASSWORD is not set",
        # A container image's digest is not a password.
        "uses: docker://alpine:3.19@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8",
    ],
)
def test_stand_ins_and_prose_in_request_places_are_left_alone(line: str) -> None:
    assert Redactor().redact(line) == line


def test_a_weak_request_credential_is_redacted_but_not_reported() -> None:
    """Redaction takes every value in a request place; a finding needs a plausible secret (a
    review comment on ``PGPASSWORD=postgres`` in a test workflow would be noise)."""
    text = "PGPASSWORD=postgres psql\nredis://:pw@h\nAuthorization: token x"
    assert find_secrets(text) == []
    assert len(find_secrets(text, broad=True)) == 3
