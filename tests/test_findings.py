"""Deterministic findings: what they catch in added lines, and what they must leave alone."""

from __future__ import annotations

from cicd_agent.analysis.diff import Diff, FileDiff, parse_diff
from cicd_agent.analysis.findings import HUGE_BINARY_BYTES, deterministic_findings
from cicd_agent.severity import Severity

GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5" * 4


def added_file(path: str, text: str) -> str:
    """A git diff that adds ``path`` with ``text``."""
    lines = text.splitlines()
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def findings_of(
    diff_text: str, texts: dict[str, str] | None = None
) -> list[tuple[str, str, int | None]]:
    found = deterministic_findings(parse_diff(diff_text), texts or {})
    return [(f.rule, f.path, f.line) for f in found]


def test_secret_in_added_line_is_critical_and_never_quoted() -> None:
    diff = parse_diff(added_file("app/config.py", f'TOKEN = "{GITHUB_TOKEN}"\nDEBUG = False'))
    [finding] = deterministic_findings(diff, {})
    assert (finding.rule, finding.line, finding.severity) == ("secret", 1, Severity.CRITICAL)
    assert "GitHub token" in finding.title
    assert GITHUB_TOKEN not in finding.model_dump_json()


SHAPES = [
    "ghp_" + "A1b2C3d4E5" * 4,
    "github_pat_11ABCDEFG0" + "x" * 60,
    "AKIAIOSFODNN7EXAMPLE",
    "sk-proj-" + "Zz9" * 15,
    "sk-ant-" + "a1" * 15,
    "xoxb-123456789012-abcdefghijkl",
    "https://hooks.slack.com/services/T000/B000/" + "X" * 24,
    "AIza" + "B" * 35,
    "sk_live_" + "4" * 24,
    "rk_test_" + "5" * 24,
    "npm_" + "c" * 36,
    "pypi-AgEIcHlwaS5vcmc" + "d" * 60,
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBhcnQ",
    "postgres://app:s3cretpw@db/x",
    "AccountKey=" + "e" * 44,
    "-----BEGIN RSA PRIVATE KEY-----",
    "DB_PASSWORD=hunter2hunter2",
]


def test_every_shape_the_redactor_knows_is_a_finding() -> None:
    """The fast pre-filter must never hide a secret find_secrets would see."""
    lines = [
        f"value_{n} = {shape!r}" if "=" not in shape else shape for n, shape in enumerate(SHAPES)
    ]
    found = deterministic_findings(parse_diff(added_file("leak.txt", "\n".join(lines))), {})
    assert sorted({f.line for f in found}) == list(range(1, len(SHAPES) + 1))


def test_removed_secret_and_placeholders_are_not_findings() -> None:
    text = (
        "diff --git a/a.py b/a.py\nindex 1..2 100644\n--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n"
        f'-TOKEN = "{GITHUB_TOKEN}"\n+TOKEN = os.environ["TOKEN"]\n password = get_password()\n'
    )
    assert findings_of(text) == []


def test_hard_coded_password_is_high_not_critical() -> None:
    [finding] = deterministic_findings(
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
    found = deterministic_findings(Diff((big, small)), {})
    assert [(f.rule, f.path, f.line, f.severity) for f in found] == [
        ("large-binary", "assets/video.mp4", None, Severity.HIGH)
    ]
    assert "50.0 MiB" in found[0].title
