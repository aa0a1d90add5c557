"""A Python change that does not parse is a high build finding on the line the syntax error
names, with no type checker configured: review parses the changed files itself (parsing runs
nothing). A file our interpreter cannot parse at the base either (syntax newer than ours) is
not blamed, and the summary says it was not checked."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli

ENCODING = '''\
"""Encodings."""


def want_bytes(value: str) -> bytes:
    return value.encode()
'''


def _review(tmp_path: Path, repo: GitRepoBuilder, base: str, head: str, *more: str) -> CliRun:
    argv = ["review", "--provider", "none", "--json", *more,
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    return run_cli(argv, tmp_path, {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home")})


def _build(done: CliRun) -> list[tuple[str, str, int, str, str]]:
    document = done.document or {}
    return [(f["rule"], f["path"], f["line"], f["severity"], f["category"])
            for f in document["findings"] if f["category"] == "build"]  # fmt: skip


def test_a_change_that_does_not_parse_is_high_on_its_line(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"setup.py": "import setuptools\n", "app/enc.py": ENCODING})
    broken = ENCODING.replace("-> bytes:", "-> bytes")
    head = repo.commit("oops", {"app/enc.py": broken})
    done = _review(tmp_path, repo, base, head, "--fail-on", "high")
    assert done.document is not None, done.stderr
    assert _build(done) == [("python/syntax-error", "app/enc.py", 4, "high", "build")]
    assert {"tool": "python parse", "could_not_run": ""} in done.document["tools"]
    assert done.code == 1


def test_an_unclosed_bracket_lands_on_the_changed_line_that_opened_it(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"app/enc.py": ENCODING})
    broken = ENCODING.replace("value.encode()", "value.encode(\n")
    head = repo.commit("oops", {"app/enc.py": broken})
    done = _review(tmp_path, repo, base, head, "--fail-on", "high")
    assert done.document is not None, done.stderr
    assert [(f[1], f[2]) for f in _build(done)] == [("app/enc.py", 5)]


def test_syntax_newer_than_ours_at_the_base_is_not_blamed_and_said(tmp_path: Path) -> None:
    # a type statement (Python 3.12): the base does not parse under our 3.11 either
    newer = "type Pair = tuple[int, int]\n\n\ndef first(p: Pair) -> int:\n    return p[0]\n"
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"app/pair.py": newer})
    head = repo.commit("more", {"app/pair.py": newer + "\n\ntype Other = int\n"})
    done = _review(tmp_path, repo, base, head)
    assert done.document is not None, done.stderr
    if _build(done):  # an interpreter that parses 3.12 syntax finds nothing to say either
        raise AssertionError(_build(done))
    import sys

    if sys.version_info < (3, 12):
        assert any("app/pair.py" in n and "parse" in n for n in done.document["notes"]), (
            done.document["notes"]
        )


def test_a_new_file_is_checked_when_the_others_parse(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"app/enc.py": ENCODING})
    head = repo.commit("new", {"app/new.py": "def f(:\n    pass\n"})
    done = _review(tmp_path, repo, base, head, "--fail-on", "high")
    assert done.document is not None, done.stderr
    assert [(f[0], f[1], f[2]) for f in _build(done)] == [("python/syntax-error", "app/new.py", 1)]


def test_a_new_file_is_not_blamed_where_other_files_do_not_parse(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"app/enc.py": "match = 1\nprint 'python 2'\n"})
    head = repo.commit("new", {"app/new.py": "print 'also python 2'\n"})
    done = _review(tmp_path, repo, base, head)
    assert done.document is not None, done.stderr
    assert _build(done) == []
    assert any("app/new.py" in n and "app/enc.py" in n for n in done.document["notes"]), (
        done.document["notes"]
    )


def test_a_file_too_deep_for_the_parser_is_not_a_crash(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"app/deep.py": "x = 1\n"})
    deep = "x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\ny = -" + "-" * 200_000 + "1\n"
    head = repo.commit("deep", {"app/deep.py": deep})
    done = _review(tmp_path, repo, base, head)
    assert done.document is not None, done.stderr
    assert done.code in (0, 1)


def _broken(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"app/enc.py": ENCODING})
    head = repo.commit("oops", {"app/enc.py": ENCODING.replace("-> bytes:", "-> bytes")})
    return repo, base, head


def test_a_change_that_does_not_build_fails_the_step_without_fail_on(tmp_path: Path) -> None:
    repo, base, head = _broken(tmp_path)
    done = _review(tmp_path, repo, base, head)
    assert done.document is not None, done.stderr
    assert done.code == 1, done.document["headline"]
    assert done.document["decision"] == "comment"
    assert "does not build" in done.document["headline"], done.document["headline"]
    first = done.summary.split("\n\n")[1]
    assert "exit 1" in first and "does not build" in first, done.summary


def test_a_change_that_does_not_build_is_never_low_risk(tmp_path: Path) -> None:
    """A one-character change that does not compile read "risk low" beside its own build
    error (dtolnay-style one-liners in the fourth trial); the summary says what the scorer,
    which builds nothing, gave."""
    repo, base, head = _broken(tmp_path)
    done = _review(tmp_path, repo, base, head)
    assert done.document is not None, done.stderr
    assert done.document["risk_level"] == "high", done.document["headline"]
    assert "risk high" in str(done.document["headline"])
    assert "The change does not build (1 build error(s) it makes)" in done.summary
    # what the scorer gave, never a claim of deploy-gate's level: deploy-gate parses the changed
    # files and holds this syntax error as critical (a new user's trial found the claim false)
    assert "Before its build errors the change scored low" in done.summary
    assert "gives the same change low" not in done.summary


def test_the_description_of_a_change_that_does_not_build_says_its_raised_risk(
    tmp_path: Path,
) -> None:
    """The description's footer says its risk is the review's own: it read "Risk: low" in the
    pull request's body beside ``risk_level: high`` in the outputs."""
    repo, base, head = _broken(tmp_path)
    done = _review(tmp_path, repo, base, head, "--describe")
    assert done.document is not None, done.stderr
    description = str(done.document["description"])
    assert "**Risk: high** — The change does not build" in description, description


def test_a_change_that_does_not_build_requests_changes_where_allowed(tmp_path: Path) -> None:
    repo, base, head = _broken(tmp_path)
    done = _review(tmp_path, repo, base, head, "--request-changes", "--fail-on", "critical")
    assert done.document is not None, done.stderr
    assert (done.code, done.document["decision"]) == (1, "request_changes")


def test_fail_on_none_lets_a_build_error_through_and_the_headline_still_names_it(
    tmp_path: Path,
) -> None:
    repo, base, head = _broken(tmp_path)
    done = _review(tmp_path, repo, base, head, "--fail-on", "none", "--request-changes")
    assert done.document is not None, done.stderr
    assert (done.code, done.document["decision"]) == (0, "comment")
    assert "does not build" in done.document["headline"], done.document["headline"]
    assert done.document["fail_on"] == "none"


def test_the_parser_judges_text_and_leaves_what_it_cannot_to_the_caller() -> None:
    from cicd_agent.local.syntax import syntax_error

    assert syntax_error("def f():\n    return 1\n") is None
    error = syntax_error("def f(:\n    pass\n")
    assert error is not None and error.lineno == 1
    with pytest.raises(ValueError, match="Error"):  # beyond the parser's own stack
        syntax_error("y = -" + "-" * 200_000 + "1\n")


def test_attack_a_broken_file_of_the_change_does_not_excuse_another(tmp_path: Path) -> None:
    """Attack: a new file that does not parse is judged only when the project's other files
    parse here; 'other' meant not among the changed files the check took, so a second broken
    file of the pull request's own, past the files checked (200), made every new file's
    syntax error go unjudged, and the change passed the build gate. Only files the change
    leaves alone speak for our interpreter."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"app/enc.py": ENCODING})
    filler = {f"m/f{number:03d}.py": "x = 1\n" for number in range(199)}
    head = repo.commit(
        "new", {"a_new.py": "def f(:\n    pass\n", **filler, "z.py": "def g(:\n    pass\n"}
    )
    done = _review(tmp_path, repo, base, head)
    assert done.document is not None, done.stderr
    assert [(f[0], f[1], f[2]) for f in _build(done)] == [("python/syntax-error", "a_new.py", 1)]
    assert done.code == 1


def test_attack_a_file_with_a_byte_order_mark_is_no_build_error(tmp_path: Path) -> None:
    """Attack (or a Windows editor): a Python file that starts with UTF-8's byte order mark,
    which Python reads as it reads any other. Decoded to text, the mark stayed its first
    character, our parser refused it ('invalid non-printable character U+FEFF'), and the
    change was a high build error that failed the step by default: a file that runs, said
    not to parse."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"app/enc.py": ENCODING})
    head = repo.commit("bom", {"app/new.py": "\ufeffx = 1\n", "app/enc.py": "\ufeff" + ENCODING})
    done = _review(tmp_path, repo, base, head)
    assert done.document is not None, done.stderr
    assert _build(done) == []
    assert done.code == 0


def test_attack_many_large_changed_files_are_parsed_within_a_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: 200 changed files of 1 MiB each (the most the check took) were all parsed in
    review's own process, at up to 1.5 CPU-seconds and 540 MiB a MiB of hostile text: minutes
    of review held. The text parsed is bounded in all (here made small), and the files past
    it are said in a note."""
    monkeypatch.setattr("cicd_agent.local.syntax.MAX_PARSED", 1000)
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"app/enc.py": ENCODING})
    head = repo.commit("big", {"app/a.py": "x = 1\n" * 100, "app/b.py": "def g(:\n" * 100})
    done = _review(tmp_path, repo, base, head)
    assert done.document is not None, done.stderr
    assert _build(done) == []
    assert any("checked 1 of 2 changed Python files" in n for n in done.document["notes"]), (
        done.document["notes"]
    )


def test_attack_a_lone_carriage_return_moves_no_error_off_its_line() -> None:
    """Attack: Python ends a line at a lone carriage return too (in a comment or a string),
    git and the diff do not: two of them moved the error two lines below where the diff has
    it."""
    from cicd_agent.local.syntax import PYTHON

    text = "x = 1  # a\r\rb\ns = '''c\r\rd'''\ny = (\nz = 2\n"
    assert PYTHON.error("app.py", text) == (3, "'(' was never closed")


def test_a_line_a_checker_found_broken_is_not_reported_twice(tmp_path: Path) -> None:
    """mypy and eslint report a syntax error too: review's parse check keeps its own finding
    off a line where a checker already found a build error."""
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.analysis.severity import Severity
    from cicd_agent.modes.review.lint.syntax import parse_changed
    from cicd_agent.plugins import plugin
    from tests.helpers.context import run_context

    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"app/enc.py": ENCODING})
    head = repo.commit("oops", {"app/enc.py": ENCODING.replace("-> bytes:", "-> bytes")})
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home")}
    ctx, _ = run_context("review", ["--provider", "none", "--repo", str(repo.path)], environ,
                         plugin("review").options())  # fmt: skip
    diff = ctx.checkout.diff(base, head)
    ours = parse_changed(ctx, ctx.checkout, diff, (base, head), [])
    assert [(f.rule, f.path, f.line) for f in ours] == [("python/syntax-error", "app/enc.py", 4)]
    mypy = Finding(rule="mypy/syntax", severity=Severity.HIGH, category="build",
                   path="app/enc.py", line=4, title="invalid syntax", body="invalid syntax")  # fmt: skip
    assert parse_changed(ctx, ctx.checkout, diff, (base, head), [mypy]) == []


def test_a_linters_parse_error_on_a_line_the_parse_check_names_is_not_a_second_finding() -> None:
    """A new user's review of bytes.js: node's parse error and eslint's on index.js:55 were two
    findings (high and medium) for one unexpected token."""
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.analysis.severity import Severity
    from cicd_agent.modes.review.lint.syntax import said_once

    node = Finding(rule="javascript/syntax-error", severity=Severity.HIGH, category="build",
                   path="index.js", line=55, body="Unexpected token '{'",
                   title="javascript: the change does not parse: Unexpected token '{'")  # fmt: skip
    eslint = Finding(rule="eslint/parse-error", severity=Severity.MEDIUM, category="lint",
                     path="index.js", line=55, body="Parsing error: Unexpected token {",
                     title="eslint parse-error: Parsing error: Unexpected token {")  # fmt: skip
    elsewhere = replace(eslint, line=80)
    semi = replace(eslint, rule="eslint/no-extra-semi", title="eslint no-extra-semi: x")
    assert said_once([eslint, elsewhere, semi], [node]) == [elsewhere, semi, node]
