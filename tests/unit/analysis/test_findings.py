"""Deterministic findings: what they catch in added lines, and what they must leave alone."""

from __future__ import annotations

import json
import random
import string

import pytest

from cicd_agent.analysis.diff import Diff, FileDiff, parse_diff
from cicd_agent.analysis.file_rules import HUGE_BINARY_BYTES
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.findings import fingerprint_findings, line_source
from cicd_agent.analysis.severity import Severity
from tests.helpers.diffs import added_file, all_findings

GITHUB_TOKEN = "ghp_" + "Kq8Vx2Lm9Rt4Wz7Nb3Yc6Pd1Fg5Hj0Ts8Ua2Xe"


def findings_of(
    diff_text: str, texts: dict[str, str] | None = None
) -> list[tuple[str, str, int | None]]:
    found = all_findings(parse_diff(diff_text), texts or {})
    return [(f.rule, f.path, f.line) for f in found]


def test_secret_in_added_line_is_critical_and_never_quoted() -> None:
    diff = parse_diff(added_file("app/config.py", f'TOKEN = "{GITHUB_TOKEN}"\nDEBUG = False'))
    [finding] = all_findings(diff, {})
    assert (finding.rule, finding.line, finding.severity) == ("secret", 1, Severity.CRITICAL)
    assert "GitHub personal access token" in finding.title
    assert GITHUB_TOKEN not in json.dumps(finding.to_json())


_RANDOM = random.Random(15)


def _chars(count: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    """Random-looking text: real keys are random, and a repeated pattern is a placeholder."""
    return "".join(_RANDOM.choice(alphabet) for _ in range(count))


SHAPES = [
    "ghp_" + _chars(36),
    "github_pat_11ABCDEFG0" + _chars(60),
    "AKIA" + _chars(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
    "sk-proj-" + _chars(45),
    "sk-ant-" + _chars(30),
    "xoxb-123456789012-" + _chars(12),
    "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/" + _chars(24),
    "AIza" + _chars(35),
    "sk_live_" + _chars(24),
    "rk_test_" + _chars(24),
    "npm_" + _chars(36),
    "pypi-AgEIcHlwaS5vcmc" + _chars(60),
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBhcnQ",
    "postgres://app:s3cretpw@db/x",
    "AccountKey=" + _chars(86) + "==",
    "-----BEGIN RSA PRIVATE KEY-----",
    "DB_PASSWORD=hunter2hunter2",
    "xapp-1-A0123456789-1234567890123-" + _chars(64, "0123456789abcdef"),
    "glpat-" + _chars(20),
    "hf_" + _chars(34, "abcdefghijklmnopqrstuvwxyz"),
    "SG." + _chars(22) + "." + _chars(43),
    "dop_v1_" + _chars(64, "0123456789abcdef"),
    "shpat_" + _chars(32, "0123456789abcdef"),
    "SK" + _chars(32, "0123456789abcdef"),
]


def test_every_shape_the_redactor_knows_is_a_finding() -> None:
    """The fast pre-filter must never hide a secret find_secrets would see."""
    lines = [
        f"value_{n} = {shape!r}" if "=" not in shape else shape for n, shape in enumerate(SHAPES)
    ]
    found = all_findings(parse_diff(added_file("leak.txt", "\n".join(lines))), {})
    assert sorted({f.line for f in found}) == list(range(1, len(SHAPES) + 1))


def test_removed_secret_and_placeholders_are_not_findings() -> None:
    text = (
        "diff --git a/a.py b/a.py\nindex 1..2 100644\n--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n"
        f'-TOKEN = "{GITHUB_TOKEN}"\n+TOKEN = os.environ["TOKEN"]\n password = get_password()\n'
    )
    assert findings_of(text) == []


def test_hard_coded_password_is_high_not_critical() -> None:
    [finding] = all_findings(
        parse_diff(added_file("settings.py", 'db_password = "s3cr3t-Passw0rd!"')), {}
    )
    assert (
        finding.severity is Severity.HIGH
        and finding.title == "Possible hard-coded secret committed"
    )


def test_conflict_markers_need_an_unambiguous_marker() -> None:
    conflict = "a = 1\n<<<<<<< HEAD\nb = 2\n=======\nb = 3\n>>>>>>> feature\n"
    assert findings_of(added_file("m.py", conflict)) == [("merge-conflict", "m.py", 2)]
    heading = "Title\n=======\n\nText\n"
    assert findings_of(added_file("README.rst", heading)) == []


def test_debugger_calls_by_language() -> None:
    text = (
        added_file("a.py", "import pdb\n\ndef f():\n    pdb.set_trace()\n    # breakpoint()\n")
        + added_file("b.js", "function f() {\n  debugger;\n  console.log('fine');\n}\n")
        + added_file("c.rb", "def f\n  binding.pry\nend\n")
        + added_file("d.py", "print('call breakpoint() here')\nx = {'debugger': 1}\n")
        + added_file("notes.md", "Use `breakpoint()` to debug.\n")
    )
    assert findings_of(text) == [
        ("debugger", "a.py", 4),  # the call; the import alone is not a second finding
        ("debugger", "c.rb", 2),
        ("debugger", "b.js", 2),
    ]


def test_import_alone_is_reported_when_no_call_is() -> None:
    assert findings_of(added_file("x.py", "import ipdb\nx = 1\n")) == [("debugger", "x.py", 1)]


def test_large_binary_added_is_a_file_level_finding() -> None:
    big = FileDiff(path="assets/video.mp4", status="added", is_binary=True, size=HUGE_BINARY_BYTES)
    small = FileDiff(path="assets/icon.png", status="added", is_binary=True, size=2048)
    found = all_findings(Diff((big, small)), {})
    assert [(f.rule, f.path, f.line, f.severity) for f in found] == [
        ("large-binary", "assets/video.mp4", None, Severity.HIGH)
    ]
    assert "50.0 MiB" in found[0].title


# ------------------------------------------------------------ ordinary code is not a secret
ORDINARY = [
    ("src/requests/_types.py", "AuthType: TypeAlias = ("),
    ("src/requests/sessions.py", "    auth: AuthType = None,"),
    ("src/requests/models.py", "        self.auth: AuthType | None = auth"),
    ("src/pip/_internal/index.py", "    authenticated_index = mock_index(auth=True)"),
    ("src/app/settings.py", 'DEFAULT_PASSWORD = "PASSWORD"'),
    ("src/app/settings.py", 'login(user="admin", password="password")'),
    ("src/app/urls.py", 'EXAMPLE = "http://user:pass@example.com/path"'),
    ("src/app/api.py", "    token: str = Field(..., description='API token')"),
    ("src/app/api.py", "    secret_key = settings.SECRET_KEY"),
    ("src/app/api.py", '    headers["Authorization"] = f"Bearer {token}"'),
    ("src/app/cli.py", '    parser.add_argument("--token", metavar="TOKEN")'),
    ("src/app/cli.py", "    password: Optional[str] = None"),
]


def test_type_names_identifiers_and_placeholders_are_not_findings() -> None:
    for path, line in ORDINARY:
        found = all_findings(parse_diff(added_file(path, line)), {})
        assert found == [], (line, [f.title for f in found])


FIXTURE_LINES = [
    ("tests/test_auth.py", '    session.get("http://user:pass@example.com")'),
    ("tests/test_auth.py", '    auth = ("user", "PASSWORD")'),
    ("HISTORY.md", "- Fixed `http://user:pass@host` parsing (#1234)"),
    ("src/pip/_vendor/urllib3/util.py", 'password = "hunter2-but-longer-9"'),
]


def test_samples_in_tests_docs_and_vendored_code_are_not_high() -> None:
    for path, line in FIXTURE_LINES:
        found = all_findings(parse_diff(added_file(path, line)), {})
        assert all(f.severity < Severity.HIGH for f in found), (path, line, found)


def test_a_real_looking_key_in_a_test_file_is_reported_lower_not_dropped() -> None:
    key = "ghp_" + _chars(36)
    [finding] = all_findings(
        parse_diff(added_file("tests/test_client.py", f'TOKEN = "{key}"')), {}
    )
    assert finding.rule == "secret" and finding.severity is Severity.MEDIUM
    [in_code] = all_findings(
        parse_diff(added_file("src/client.py", f'TOKEN = "{key}"')), {}
    )
    assert in_code.severity is Severity.CRITICAL


def test_the_name_of_the_variable_that_holds_a_secret_is_not_one() -> None:
    line = "      clientSecret: AUTH_MICROSOFT_ENTRA_ID_SECRET,"
    assert all_findings(parse_diff(added_file("src/auth.ts", line)), {}) == []


def test_camel_case_type_names_are_not_secrets_but_random_letters_are() -> None:
    names = "  authenticator: AdapterAuthenticator\n  auth = VerificationTokenDocument"
    assert all_findings(parse_diff(added_file("src/adapter.ts", names)), {}) == []
    random_letters = 'api_key = "kQvXzLmRtWnBpYcDfGhJsTuV"'
    [finding] = all_findings(parse_diff(added_file("src/x.py", random_letters)), {})
    assert finding.severity is Severity.HIGH


# ---------------------------------------------------------------------------- fingerprints


def _anchored(diff_text: str) -> list[Finding]:
    diff = parse_diff(diff_text)
    found = all_findings(diff, {})
    return fingerprint_findings(found, line_source(diff, {}), lambda text: text)


def test_a_fingerprint_follows_the_flagged_code_not_its_line_number() -> None:
    code = "def run():\n    breakpoint()\n    return 1"
    [before] = _anchored(added_file("src/job.py", code))
    [shifted] = _anchored(added_file("src/job.py", "import os\n\n\n" + code))
    [reindented] = _anchored(
        added_file("src/job.py", code.replace("    breakpoint()", "\tbreakpoint()  "))
    )
    assert shifted.line == before.line + 3
    assert shifted.fingerprint == before.fingerprint == reindented.fingerprint
    [other] = _anchored(
        added_file("src/job.py", code.replace("breakpoint()", "import pdb; pdb.set_trace()"))
    )
    assert other.fingerprint != before.fingerprint


def test_two_identical_flagged_lines_are_two_findings() -> None:
    found = _anchored(added_file("src/job.py", "breakpoint()\nx = 1\nbreakpoint()"))
    assert len({f.fingerprint for f in found}) == 2


def test_a_secrets_fingerprint_never_hashes_the_secret() -> None:
    [one] = _anchored(added_file("app/config.py", f'TOKEN = "{GITHUB_TOKEN}"'))
    [two] = _anchored(added_file("app/config.py", f'TOKEN = "{GITHUB_TOKEN[:-1]}X"'))
    assert one.fingerprint == two.fingerprint
    assert GITHUB_TOKEN not in one.anchor


def test_workflow_texts_without_an_auditor_are_refused_not_skipped() -> None:
    """The audit runs zizmor through the caller's auditor; leaving it out must not pass."""
    path = ".github/workflows/ci.yml"
    text = "on: push\njobs: {}\n"
    with pytest.raises(ValueError, match="no auditor"):
        all_findings(parse_diff(added_file(path, text)), {path: text})


def test_free_form_arguments_under_a_key_are_not_its_secret() -> None:
    """ansible.posix's ``authorized_key`` tests (a real commit of tests and a changelog
    fragment, held as "2 secret(s) added"): the module's arguments, ``name=value`` each, after
    a key whose name ends in ``key``. A secret among such arguments is still one."""
    line = (
        '  authorized_key: user=root key="{{ dss_key_basic }}" state=present '
        'path="{{ output_dir | expanduser }}/authorized_keys"'
    )
    path = "tests/integration/targets/authorized_key/tasks/ssh_dss.yml"
    assert all_findings(parse_diff(added_file(path, line)), {}) == []
    for code in ("  private_key: mode=0600 owner=root", "api_key: user=deploy"):
        assert all_findings(parse_diff(added_file("tasks/main.yml", code)), {}) == []
    inner = "  db_key: user=app password=Xk8pQ2vLm9wRt5Wz"
    [finding] = all_findings(parse_diff(added_file("tasks/main.yml", inner)), {})
    assert finding.rule == "secret"
    signed = "  api_key: sig=Xk29vQm3Lp8Rt5Wz"
    [finding] = all_findings(parse_diff(added_file("tasks/main.yml", signed)), {})
    assert finding.rule == "secret"
    alone = 'api_key: "Xk29vQm3Lp8Rt5Wz"'
    [finding] = all_findings(parse_diff(added_file("tasks/main.yml", alone)), {})
    assert finding.rule == "secret"
