"""Secrets never leave: planted in every untrusted input each mode reads, found nowhere.

Nineteen secrets of the common shapes (``tests/reliability/secrets.py``: GitHub, cloud, model and
chat tokens, a private key, ``.env`` values, and a value with no shape at all that the workflow
passes as a secret variable) are planted in the diff, the pull request's title and body, the
commit messages and the failed job's log. The model is the worst kind: it echoes what it was shown
into every free-text field of its answer. Then every prompt the local model server received, and
every output, summary, log line, GitHub request body, SARIF, audit, patch and excerpt file the run
wrote, is searched for each secret. ``::add-mask::`` lines are the one place a secret belongs.
"""

from __future__ import annotations

import base64
import random
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.modes.analyse_failure.logs.excerpt import MAX_CORE_CHARS, MAX_LINE_CHARS
from cicd_agent.modes.analyse_failure.logs.reader import MAX_LINE_KEPT
from tests.e2e.reliability.matrix import ROOT_CAUSE
from tests.e2e.reliability.scenarios import CLAMP_TEST, Outcome
from tests.e2e.reliability.secrets import (
    SECRET_ENV,
    SECRETS,
    Leak,
    Secret,
    commit_message,
    env_file,
    leaks,
    python_module,
)
from tests.e2e.reliability.stages import stage
from tests.harness.model_server import ModelServer, RecordedRequest
from tests.helpers.failed_run import failed_run

FAILED_JOB = 11
SETTINGS_TEST = (
    "from calc.settings import production_settings\n\n\n"
    "def test_settings_are_lines():\n    assert len(production_settings()) > 10\n"
)
PLANTED: dict[str, int] = {}
FOUND: dict[str, list[Leak]] = {}


def echo(mode: str) -> Any:
    """A model that repeats its prompt into every free-text field it has."""

    def answer(request: RecordedRequest) -> dict[str, Any]:
        text = request.text("user")
        if mode == "review":
            finding = {
                "path": "src/settings.py",
                "line": 3,
                "start_line": None,
                "severity": "high",
                "category": "security",
                "title": text[:150],
                "body": text[:4000],
                "replacement": text[:500],
                "confidence": 0.9,
            }
            return {"summary": text[:2000], "verdict": "comment", "findings": [finding]}
        if mode == "deploy-gate":
            chunks = [text[i : i + 280] for i in range(0, min(len(text), 2240), 280)]
            return {
                "risk_factors": chunks,
                "risk_level": "high",
                "pre_deploy_checks": chunks,
                "monitoring_focus": chunks,
                "confidence": 0.9,
            }
        if mode == "gen-tests":  # a test the gate accepts, so the echo lands in the patch
            comments = "\n".join(f"# {line}" for line in text.splitlines()[:400])
            test = SETTINGS_TEST if "production_settings" in text else CLAMP_TEST
            return {"test_module": f"{test}\n{comments}\n", "rationale": text[:2000]}
        return {
            "root_cause": text[:1500],
            "failure_type": "test_failure",
            "responsible_files": ["config/production.env"],
            "responsible_commit": None,
            "fix": {"type": "code", "description": text[:1500], "patch": text[:6000]},
            "confidence": 0.9,
            "is_flaky": False,
            "flaky_evidence": [text[:300]],
        }

    return answer


@dataclass(frozen=True)
class Plan:
    """Where one mode reads untrusted text, and what is planted there."""

    extra: dict[str, str | bytes]
    options: dict[str, str]
    places: tuple[str, ...]


PLACES = {
    "review": Plan(
        {"config/production.env": env_file(), "src/settings.py": python_module()},
        {"message": commit_message(), "title": f"Rotate {SECRETS[0].value}", "body": env_file()},
        ("diff (.env file)", "diff (Python module)", "commit message", "PR body"),
    ),
    "deploy-gate": Plan(
        {
            "config/production.env": env_file(),
            "db/migrations/0002_rotate.sql": "".join(
                f"-- {line}\n" for line in env_file().splitlines()
            ),
        },
        {"message": commit_message()},
        ("diff (.env file)", "diff (migration)", "commit message"),
    ),
    "gen-tests": Plan(
        {"src/calc/settings.py": python_module()},
        {"message": commit_message(), "body": env_file()},
        ("diff (Python function under test)",),
    ),
    "analyse-failure": Plan(
        {"config/production.env": env_file()},
        {"message": commit_message()},
        ("failed job's log", "diff of the change under test", "commit message"),
    ),
}


def _secret_log() -> bytes:
    """The failed job's real log with every secret in the assertion's output, in the error."""
    log = failed_run().job_log
    anchor = b"E        +  where 5 = add(2, 3)\n"
    at = log.index(anchor) + len(anchor)
    stamp = log[at - len(anchor) - 29 : at - len(anchor)].decode()
    lines = "".join(f"{stamp}E        +  {line}\n" for line in env_file().splitlines())
    return log[:at] + lines.encode() + log[at:]


def run_with_secrets(mode: str, tmp_path: Path, github_api: Any, server: ModelServer) -> Outcome:
    plan = PLACES[mode]
    ready = stage(
        mode, tmp_path, github_api, server, extra=plan.extra, options=plan.options, answer=False
    )
    server.answer_with(echo(mode), times=None)
    ready.env.update(SECRET_ENV)
    if ready.state is not None:
        ready.state.job_log(FAILED_JOB, _secret_log())
    return ready.run()


@pytest.mark.parametrize(
    "mode", [pytest.param(m, marks=[pytest.mark.slow] if m == "gen-tests" else []) for m in PLACES]
)
def test_no_planted_secret_leaves_the_run(
    mode: str, tmp_path: Path, github_api: Any, model_server: ModelServer
) -> None:
    outcome = run_with_secrets(mode, tmp_path, github_api, model_server)
    assert outcome.code == 0, outcome.summary + outcome.log[-2000:]
    # The planted text reached the model, redacted: the test can only pass for the right reason.
    assert outcome.prompts, "nothing was sent to the model"
    assert "[REDACTED:" in outcome.prompt_text()
    found = leaks(mode, outcome)
    PLANTED[mode] = len(SECRETS) * len(PLACES[mode].places)
    FOUND[mode] = found
    assert found == [], "\n".join(f"{f.kind} in {f.surface}: …{f.context}…" for f in found)


def test_secrets_of_every_shape_are_planted() -> None:
    """The fixture itself: 19 distinct secrets, each written into the .env text."""
    values = [secret.value for secret in SECRETS]
    assert len(set(values)) == len(values) == 19
    assert all(value in env_file() for value in values)


@pytest.fixture(scope="module", autouse=True)
def report_planted_and_leaked(request: pytest.FixtureRequest) -> Iterator[None]:
    """After the module's tests: the figures for the issue's evidence, printed past output
    capture. Each per-mode test asserts its own leaks, so this is a report, not a test that
    would only pass after the others filled its counters."""
    yield
    if not PLANTED:
        return
    planted, leaked = sum(PLANTED.values()), sum(len(found) for found in FOUND.values())
    line = f"secrets: {planted} planted ({len(SECRETS)} shapes) across {len(PLANTED)} modes, {leaked} leaks"
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():  # the figure goes past output capture
        print(f"\n{line}")


# ------------------------------------------------------------------ secrets cut by length limits
# A limit that cuts text before redaction leaves half a secret, which no longer has a secret's
# shape. Each test puts a secret across one of the modes' cuts.

SIGNING_KEY = "Zx" + "".join(chr(ord("a") + (n * 7) % 26) + str(n % 10) for n in range(99))
"""A 200-character secret with no known shape, passed as a secret variable."""


def _diff_excerpt(outcome: Outcome) -> str:
    user = outcome.prompts[0].text("user")
    match = re.search(
        r'<untrusted-data label="diff excerpt" id="\w+">\n(.*?)</untrusted-data', user, re.S
    )
    assert match is not None, user[-2000:]
    return match.group(1)


def test_a_secret_across_deploy_gates_diff_limit_is_not_half_sent(
    tmp_path: Path, github_api: Any, model_server: ModelServer
) -> None:
    """deploy-gate reads at most 8 characters a token of diff. Lines of spaces (about 50
    characters a token) reach that limit first; the second run puts the secret on the seven
    lines around the one the first run's excerpt ended in. The limit moves between runs (the
    fences' random ids count as a varying number of tokens, and the facts before the diff
    differ by a few), by up to a line once, so one line either side was too few."""
    lines = [SIGNING_KEY] * 7 + [" " * 200] * 7993  # the same findings in both runs

    def run(folder: str) -> Outcome:
        files = {"config/padding.txt": "".join(f"{line}\n" for line in lines)}
        ready = stage(
            "deploy-gate",
            tmp_path / folder,
            github_api,
            model_server,
            extra=files,
            answer=folder == "first",
        )
        ready.env["SIGNING_PRIVATE_KEY"] = SIGNING_KEY
        return ready.run()

    excerpt = _diff_excerpt(run("first")).removesuffix("\n")
    padding = excerpt[excerpt.index("\n", excerpt.index("\n@@ ") + 1) + 1 :]
    last = padding.count("\n")  # lines of the file before the one the limit fell in
    assert 10 < last < 7996, "the limit must fall inside the padding"
    lines[:7] = [" " * 200] * 7
    lines[last - 3 : last + 4] = [SIGNING_KEY] * 7
    second = run("second")
    shown = _diff_excerpt(second).count("[REDACTED:known secret]")
    assert 0 < shown < 7, f"the limit must fall inside the secrets' lines ({shown} shown whole)"
    assert not re.search(re.escape("+" + SIGNING_KEY[:3]), second.prompt_text())
    secret = Secret("200-character secret variable", SIGNING_KEY, SIGNING_KEY)
    assert leaks("deploy-gate", second, (secret,)) == []


def _log_with(line: bytes) -> bytes:
    """The failed job's log with ``line`` added after the assertion's output."""
    log = failed_run().job_log
    anchor = b"E        +  where 5 = add(2, 3)\n"
    at = log.index(anchor) + len(anchor)
    return log[:at] + b"2024-05-14T09:12:03.8894520Z " + line + b"\n" + log[at:]


@pytest.mark.parametrize(
    ("limit", "prefix"),
    [(MAX_LINE_CHARS, b"    captured: "), (MAX_CORE_CHARS, b"E        +  "), (MAX_LINE_KEPT, b"")],
    ids=["context-line", "error-line", "root-cause"],
)
def test_a_secret_across_a_log_line_limit_is_not_half_sent(
    limit: int, prefix: bytes, tmp_path: Path, github_api: Any, model_server: ModelServer
) -> None:
    """analyse-failure keeps 8,192 bytes of a log line, and shows 1,500 characters of a line
    around an error (4,000 of an error line); a token across any of these cuts must not come
    out as its first half, in the prompt, the root cause, the comment or the excerpt file."""
    token = SECRETS[0]
    ready = stage("analyse-failure", tmp_path, github_api, model_server)
    assert ready.state is not None
    if prefix:
        padding = b"x" * (limit - len(prefix) - 20 - 1) + b" "
        ready.state.job_log(FAILED_JOB, _log_with(prefix + padding + token.value.encode()))
    else:  # the error line itself, which becomes the root cause
        old = ROOT_CAUSE.encode()
        stamp = len(b"2024-05-14T09:12:03.8894520Z ")
        padding = b"x" * (limit - stamp - len(old) - 1 - 20 - 1) + b" "
        ready.state.job_log(
            FAILED_JOB,
            failed_run().job_log.replace(old, old + b" " + padding + token.value.encode()),
        )
    outcome = ready.run()
    assert outcome.code == 0, outcome.summary
    assert "x" * 1000 in outcome.prompt_text() + outcome.outputs["root_cause"]
    assert leaks("analyse-failure", outcome, (token,)) == []


# ------------------------------------------------ copies of a secret variable in a failed log
# the value of a secret variable reached the model as base64, URL-encoded and hex
# copies, split across two wrapped log lines, and cut to a long prefix.


def test_encoded_split_and_cut_copies_of_a_secret_variable_do_not_leave(
    tmp_path: Path, github_api: Any, model_server: ModelServer
) -> None:
    import base64
    from urllib.parse import quote

    value = SIGNING_KEY[:60]
    raw = value.encode()
    copies = {
        "base64": base64.b64encode(b"user:" + raw).decode(),
        "base64, 1 byte in": base64.b64encode(b"u" + raw + b"\n").decode(),
        "base64, 2 bytes in": base64.urlsafe_b64encode(b"us" + raw).decode(),
        "URL-encoded": quote("p@ss/" + value, safe=""),
        "hex": raw.hex(),
        "prefix": value[:40],
    }
    stamp = b"2024-05-14T09:12:03.8894520Z "
    lines = [f"    captured: {name} {copy}".encode() for name, copy in copies.items()]
    lines.append(b"    captured: wrapped " + value[:23].encode())
    lines.append(stamp + b"    " + value[23:].encode())
    ready = stage("analyse-failure", tmp_path, github_api, model_server, answer=False)
    assert ready.state is not None
    ready.state.job_log(
        FAILED_JOB,
        _log_with(b"\n".join(lines[:1]) + b"\n" + b"\n".join(stamp + line for line in lines[1:])),
    )
    model_server.answer_with(echo("analyse-failure"), times=None)
    ready.env["MY_SIGNING_SECRET"] = value  # named by containing SECRET
    outcome = ready.run()
    assert outcome.code == 0, outcome.summary
    assert "captured: hex" in outcome.prompt_text(), "the planted lines must reach the model"
    for surface, text in outcome.surfaces().items():
        for name, copy in copies.items():
            piece = copy[8:32] if name != "prefix" else copy[:24]
            assert piece not in text, f"{name} copy in {surface}"
        assert value[23:43] not in text, f"the wrapped line's tail in {surface}"


# ------------------------------------------------- request credentials in a failed log (32.8)
# A log the pull request shaped printed the requests it made: authorisation headers, URLs with
# a password and clients' password options reached the model and the job summary.

REQUEST_PASSWORD = "Rq-" + SIGNING_KEY[10:24]
REQUEST_TOKEN = SIGNING_KEY[30:62]
REQUEST_BASIC = base64.b64encode(b"deploy:" + REQUEST_PASSWORD.encode()).decode()
REQUEST_LINES = (
    f"> Authorization: Basic {REQUEST_BASIC}",
    f"curl -H 'Authorization: Bearer {REQUEST_TOKEN}' https://api.internal/x",
    f'{{"proxy-authorization": "Digest username=\\"ci\\", response=\\"{REQUEST_TOKEN}\\""}}',
    f"connecting to redis://:{REQUEST_PASSWORD}@cache:6379/0",
    f"+ mysql -uroot -p{REQUEST_PASSWORD} -h db app",
    f"+ sshpass -p {REQUEST_PASSWORD} ssh ci@host",
)


def test_request_credentials_in_a_failed_log_do_not_leave(
    tmp_path: Path, github_api: Any, model_server: ModelServer
) -> None:
    ready = stage("analyse-failure", tmp_path, github_api, model_server, answer=False)
    assert ready.state is not None
    ready.state.job_log(
        FAILED_JOB,
        _log_with(
            b"\n".join(
                b"2024-05-14T09:12:03.8894520Z E        +  " + line.encode()
                for line in REQUEST_LINES
            )[len(b"2024-05-14T09:12:03.8894520Z ") :]
        ),
    )
    model_server.answer_with(echo("analyse-failure"), times=None)
    outcome = ready.run()
    assert outcome.code == 0, outcome.summary
    prompt = outcome.prompt_text()
    assert "redis://:" in prompt and "sshpass -p" in prompt, "the lines must reach the model"
    assert "redis://:" in outcome.summary, "the echoed lines must reach the job summary"
    secrets = tuple(
        Secret(kind, value, value)
        for kind, value in (
            ("password", REQUEST_PASSWORD),
            ("bearer token", REQUEST_TOKEN),
            ("basic credentials", REQUEST_BASIC),
        )
    )
    found = leaks("analyse-failure", outcome, secrets)
    assert found == [], "\n".join(f"{f.kind} in {f.surface}: …{f.context}…" for f in found)


# ------------------------------------- credentials written like the ordinary lines redaction spares
# A second review of the redaction spared ordinary code by cause (constant names, a word and a SHA-1, a key
# naming the user, the loopback's default account); each written with a real credential instead.

_NARROWED = random.Random("narrowed places")
NARROWED_PASSWORD = "R3D1S_PR0D_" + str(_NARROWED.randrange(1000, 10000))
NARROWED_HEX = _NARROWED.randbytes(20).hex()
NARROWED_SUPERUSER = "".join(_NARROWED.choices(string.ascii_letters + string.digits + "#!", k=14))
NARROWED_LINES = (
    f"DATABASE_URL=postgres://admin:{NARROWED_PASSWORD}@db.prod.internal/app",
    f"BUILDKITE_API=bkua_{NARROWED_HEX}",
    f"PGPASSWORD_SUPERUSER: {NARROWED_SUPERUSER}",
)


def test_credentials_in_the_spared_places_do_not_leave_a_review(
    tmp_path: Path, github_api: Any, model_server: ModelServer
) -> None:
    text = "\n".join(NARROWED_LINES) + "\n"
    ready = stage(
        "review",
        tmp_path,
        github_api,
        model_server,
        extra={"deploy/production.env": text},
        options={"message": "Deploy settings\n\n" + text, "body": text},
        answer=False,
    )
    model_server.answer_with(echo("review"), times=None)
    outcome = ready.run()
    assert outcome.code == 0, outcome.summary + outcome.log[-2000:]
    assert "BUILDKITE_API=" in outcome.prompt_text(), "the lines must reach the model"
    secrets = tuple(
        Secret(kind, value, value)
        for kind, value in (
            ("password in capitals", NARROWED_PASSWORD),
            ("word and 40 hex", NARROWED_HEX),
            ("superuser password", NARROWED_SUPERUSER),
        )
    )
    found = leaks("review", outcome, secrets)
    assert found == [], "\n".join(f"{f.kind} in {f.surface}: …{f.context}…" for f in found)
