"""A local terminal gets plain text, said once; the runner gets Markdown and honest annotations.

Run outside a runner (no ``GITHUB_OUTPUT``), cicd-agent prints the summary as plain text (bold
only on a TTY), no Markdown, no HTML, no list of outputs (``--json`` has them), and a mistake is
one line on stderr naming the mode's own ``--help``. Inside a runner, an ``error`` annotation
means the step failed: a run that exits 0 carries warnings at most.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from cicd_agent.actions.markdown import code_span, prose
from cicd_agent.actions.runner_io import BOLD, Annotation, RunnerIO, plain_text, wants_colour
from tests.git_builder import GitRepoBuilder
from tests.harness.action_runner import parse_github_output
from tests.harness.payloads import REPO_ROOT

ROOT = REPO_ROOT
CLI = Path(sys.executable).parent / "cicd-agent"
LOGS = ROOT / "examples/logs/pytest-failure.zip"
MARKUP = ("###", "**", "<details>", "</summary>", "<sub>", "|---|", "```")


def local(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a developer runs it: a terminal, no runner variables."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_"))
    }
    return subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, cwd=cwd, timeout=120,
        env={**clean, **env},
    )  # fmt: skip


def errors(done: subprocess.CompletedProcess[str]) -> list[str]:
    """stderr's lines but the one the CLI says when loading a mode takes seconds (a busy
    machine), which is no part of the mistake's message."""
    slow = "loading the mode, its settings and the event"
    return [line for line in done.stderr.splitlines() if not line.endswith(slow)]


def test_a_typo_is_one_line_naming_the_modes_help() -> None:
    done = local("deploy-gate", "--bse", "HEAD~1")
    assert done.returncode == 2
    assert done.stdout == ""
    assert errors(done) == [
        "cicd-agent deploy-gate: error: Unrecognized arguments: --bse HEAD~1. "
        "Did you mean --base? See `cicd-agent deploy-gate --help`."
    ]


def test_the_fix_is_a_sentence_of_its_own_after_a_message_quoting_a_tool() -> None:
    """A message ending in the builder's words or a parenthesis ran into its hint: "…
    lookup registry-1.docker.io: no such host Check the FROM line's image name …", "--junit
    'x' matched no file (looked in /w) Give the path …". A message that ends its sentence
    keeps it."""
    from cicd_agent.actions.errors import ExternalServiceError, UsageError

    pulled = ExternalServiceError("buildah build exited 125: no such host",
                                  hint="Check the FROM line's image name.")  # fmt: skip
    assert str(pulled) == "buildah build exited 125: no such host. Check the FROM line's image name."
    junit = UsageError("--junit 'x' matched no file (looked in /w)", hint="Give the path.")
    assert str(junit) == "--junit 'x' matched no file (looked in /w). Give the path."
    assert str(UsageError("Bad input.", hint="Fix it.")) == "Bad input. Fix it."
    assert str(UsageError("Bad input")) == "Bad input"


def test_a_bad_fail_on_is_one_line_with_the_values_that_work(tmp_path: Path) -> None:
    done = local("deploy-gate", "--base", "HEAD~1", "--head", "HEAD", "--fail-on", "hodl",
                 "--audit-file", str(tmp_path / "audit.jsonl"))  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    (line,) = errors(done)
    works = "use one of: hold, low, medium, high, critical."
    assert line.endswith(f"not valid for deploy-gate --phase deploy; {works}")


def test_analyse_failure_does_not_offer_fail_on() -> None:
    shown = local("analyse-failure", "--help")
    assert shown.returncode == 0 and "--fail-on" not in shown.stdout
    assert "--fail-on" in local("deploy-gate", "--help").stdout
    flag = local("analyse-failure", "--logs", str(LOGS), "--fail-on", "high")
    assert flag.returncode == 2 and "Unrecognized arguments: --fail-on" in flag.stderr
    given = local("analyse-failure", "--logs", str(LOGS), **{"INPUT_FAIL-ON": "high"})
    assert given.returncode == 2
    assert "analyse-failure has no fail-on policy" in given.stderr
    assert "use one of: nothing" not in given.stderr


def test_a_local_run_prints_plain_text_once_and_no_outputs_list() -> None:
    done = local("analyse-failure", "--logs", str(LOGS))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert not [mark for mark in MARKUP if mark in text], text
    assert "\033[" not in text  # not a TTY: no colour codes
    headline = "The run failed with a test failure in job test (step Run tests)"
    assert text.count(headline) == 1
    assert "Root cause: FAILED tests/test_failing.py::test_add_small_numbers" in text
    assert "Log excerpt (26 lines):" in text
    assert not [line for line in text.splitlines() if line.startswith(("failure_type:", "error:"))]


def test_a_local_hold_says_hold_once(tmp_path: Path) -> None:
    policy = json.dumps({"hold_levels": ["low", "medium", "high", "critical"]})
    # A repository of two commits: in this one's, the whole history was mined first.
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("one", {"app.py": "x = 1\n"})
    repo.commit("two", {"app.py": "x = 2\n"})
    done = local("deploy-gate", "--base", "HEAD~1", "--head", "HEAD", "--policy", policy,
                 "--audit-file", str(tmp_path / "audit.jsonl"), cwd=repo.path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Hold:") == 1, done.stdout
    assert "hold: Hold:" not in done.stdout + done.stderr


def test_error_annotations_only_on_runs_that_fail(tmp_path: Path) -> None:
    out, summary = tmp_path / "out", tmp_path / "summary.md"
    out.touch()
    summary.touch()
    done = local("analyse-failure", "--logs", str(LOGS),
                 GITHUB_OUTPUT=str(out), GITHUB_STEP_SUMMARY=str(summary))  # fmt: skip
    assert done.returncode == 0, done.stderr
    commands = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert not [line for line in commands if line.startswith("::error")], commands
    assert [line for line in commands if line.startswith("::warning")]  # the failing test line
    assert "<details>" in summary.read_text()  # Markdown still goes to the job summary
    assert parse_github_output(out.read_text())["error"] == ""  # written, empty: it finished


def test_plain_text_renders_what_our_summaries_use() -> None:
    markdown = (
        "### cicd-agent review\n\nDecision: **comment** on `a.py`.\n\n"
        "| a | bb |\n|---|---|\n| `x` | y \\| z |\n\n"
        "<details><summary>Why</summary>\n\n- one &amp; two\n\n</details>\n\n"
        "```text\n**kept** <b>as is</b>\n```\n<sub>Model: none.</sub>\n"
    )
    assert plain_text(markdown) == (
        "cicd-agent review\n\nDecision: comment on a.py.\n\n"
        "a  bb\nx  y | z\n\nWhy:\n\n- one & two\n\n  **kept** <b>as is</b>\nModel: none.\n"
    )
    coloured = plain_text("### Title\n\n**bold**", colour=True)
    assert coloured == f"{BOLD}Title\033[0m\n\n{BOLD}bold\033[0m\n"


def test_a_note_shows_what_the_neutraliser_escaped_as_plain_text() -> None:
    """A note on a model that could not be reached showed ``\\[Errno 111\\]`` in the terminal,
    and a URL carried the zero-width space that stops GitHub from linking it: a copied URL
    failed. Backslashes inside code are code and stay."""
    note = prose("could not reach http://127.0.0.1:9/v1 (3 attempts): [Errno 111] refused")
    assert "\\[Errno" in note and "\u200b" in note  # what the job summary gets
    shown = plain_text(f"- {note} Run `grep \\[x` then \\`y\\`.\n")
    assert shown == (
        "- could not reach http://127.0.0.1:9/v1 (3 attempts): [Errno 111] refused "
        "Run grep \\[x then `y`.\n"
    )


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_tty_without_no_color() -> None:
    assert wants_colour(_Tty(), {}) is True
    assert wants_colour(_Tty(), {"NO_COLOR": "1"}) is False
    assert wants_colour(_Tty(), {"TERM": "dumb"}) is False
    assert wants_colour(io.StringIO(), {}) is False
    stream = _Tty()
    RunnerIO({}, commands=stream, human=stream).write_summary("### Done\n")
    assert stream.getvalue() == f"{BOLD}Done\033[0m\n"


def test_a_local_annotation_the_summary_already_says_is_not_repeated() -> None:
    stream = io.StringIO()
    runner = RunnerIO({}, commands=stream, human=stream)
    runner.write_summary("### cicd-agent deploy-gate\n\nHold: the freeze window. Change is low.\n")
    runner.annotate(Annotation("error", "Hold: the freeze window. Change is low.", title="x"))
    runner.annotate(Annotation("warning", "careful", file="a.py", line=2))
    assert stream.getvalue().count("Hold:") == 1
    assert stream.getvalue().endswith("a.py:2: warning: careful\n")




def test_an_entity_inside_code_is_shown_as_written() -> None:
    """escape-html's failing test: expected `&amp;`, actual `&amp`. GitHub shows a code span's
    text as written; the terminal decoded both to "&", so the two values read the same."""
    shown = plain_text("- expected `&amp;`, actual `&amp` (one &amp; two)\n")
    assert shown == "- expected &amp;, actual &amp (one & two)\n"


def test_a_code_span_holding_backticks_keeps_them() -> None:
    """A test command with a backtick in it (``-k `echo x```) was echoed without its
    backticks: a span fenced with two backticks was read as single-backtick spans."""
    command = "python -m pytest -k `echo x`"
    assert plain_text(f"Test command: {code_span(command, 200)}") == f"Test command: {command}\n"
    assert plain_text(f"a {code_span('``')} b and `c`") == "a `` b and c\n"
    assert plain_text("an escaped \\`tick\\` and `code`") == "an escaped `tick` and code\n"


def test_attack_an_error_quoting_a_bidi_override_shows_it_escaped() -> None:
    """Attack: a Dockerfile's FROM holding U+202E, quoted by build's usage error, turned the rest
    of the error line around on the terminal and in the step output. Every error's one line
    now shows Unicode's bidirectional controls escaped, as it shows line breaks."""
    from cicd_agent.actions.errors import CicdError

    error = CicdError("--image x: no FROM names it (its FROMs: evil\u202etxt.exe)", hint="a\u2066b")
    assert "\u202e" not in error.message and "\\u202e" in error.message
    assert "\u2066" not in error.hint and "\\u2066" in error.hint
