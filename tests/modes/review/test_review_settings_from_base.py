"""A pull request's edit to a checker's settings does not change what review checks on its own
code: every checker runs with the base's settings (the files its ``[tool.checking]`` names,
as the base has them, and none where the base has none). Real mypy, ruff and eslint, in the
sandbox; tsc's (``noCheck``) and mypy's removed settings are in test_review_type_check_attacks.py."""

from __future__ import annotations

from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.eslint import needs_eslint
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox


def _review(tmp_path: Path, repo: GitRepoBuilder, base: str, head: str, path: str) -> CliRun:
    argv = ["review", "--provider", "none", "--report-on", "low", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    return run_cli(argv, tmp_path, {"PATH": path, "HOME": str(tmp_path / "home")})


def _found(done: CliRun) -> list[tuple[str, str, int]]:
    assert done.document is not None, done.stderr
    return [(f["rule"], f["path"], f["line"]) for f in done.document["findings"]]


def _ran(done: CliRun, tool: str) -> bool:
    assert done.document is not None, done.stderr
    return {"tool": tool, "could_not_run": ""} in done.document["tools"]


MYPY = '[project]\nname = "app"\n\n[tool.mypy]\nstrict = true\n'


@needs_sandbox
def test_attack_ignore_errors_added_to_mypys_settings_does_not_silence_it(tmp_path: Path) -> None:
    """ATTACK: the head sets ``ignore_errors = true`` in ``[tool.mypy]`` with a change that
    breaks a type; mypy ran the head's settings and said nothing."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": MYPY, "app/x.py": "LIMIT: int = 1\n"})
    head = repo.commit("quiet", {"pyproject.toml": MYPY + "ignore_errors = true\n",
                                 "app/x.py": 'LIMIT: int = "one"\n'})  # fmt: skip
    done = _review(tmp_path, repo, base, head, path_env())
    assert _ran(done, "mypy"), (done.document or {}).get("tools")
    assert ("mypy/assignment", "app/x.py", 1) in _found(done)


@needs_sandbox
def test_a_checker_the_pull_request_configures_first_does_not_run_on_it(tmp_path: Path) -> None:
    """The head adds ``mypy.ini`` (the base has no mypy settings): a pull request does not
    switch a checker on for itself, nor shape it; a note says mypy runs once this is merged."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"app/x.py": "LIMIT: int = 1\n"})
    head = repo.commit("on", {"mypy.ini": "[mypy]\nstrict = true\n",
                              "app/x.py": 'LIMIT: int = "one"\n'})  # fmt: skip
    done = _review(tmp_path, repo, base, head, path_env())
    assert done.document is not None, done.stderr
    assert "mypy" not in [t["tool"] for t in done.document["tools"]], done.document["tools"]
    said = [n for n in done.document["notes"] if "adds mypy's configuration" in n]
    assert said and "base branch's" in said[0], done.document["notes"]


RUFF = '[project]\nname = "app"\n\n[tool.ruff.lint]\nselect = ["F"]\n'


@needs_sandbox
def test_attack_a_ruff_toml_the_pull_request_adds_does_not_silence_ruff(tmp_path: Path) -> None:
    """ATTACK: the head adds ``.ruff.toml`` (which ruff reads before pyproject.toml) ignoring
    F821, and edits pyproject's ``ignore`` too, with a change that uses an undefined name."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit(
        "start", {"pyproject.toml": RUFF, "app/main.py": "def main():\n    return 0\n"}
    )
    head = repo.commit("quiet", {
        ".ruff.toml": '[lint]\nselect = ["E"]\nignore = ["F821"]\n',
        "pyproject.toml": RUFF + 'ignore = ["F821"]\n',
        "app/main.py": "def main():\n    return nope\n",
    })  # fmt: skip
    done = _review(tmp_path, repo, base, head, path_env())
    assert _ran(done, "ruff"), (done.document or {}).get("tools")
    assert ("ruff/F821", "app/main.py", 2) in _found(done)


ESLINT = 'export default [{ rules: { "no-unused-vars": "%s" } }];\n'


@needs_sandbox
def test_attack_an_eslint_rule_turned_off_still_reports(tmp_path: Path) -> None:
    """ATTACK: the head turns ``no-unused-vars`` off in eslint.config.mjs (JavaScript it
    writes) with a change that adds an unused variable."""
    path = needs_eslint()
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"eslint.config.mjs": ESLINT % "error",
                                 "src/app.js": "console.log(1);\n"})  # fmt: skip
    head = repo.commit("off", {"eslint.config.mjs": ESLINT % "off",
                               "src/app.js": "console.log(1);\nconst unused = 3;\n"})  # fmt: skip
    done = _review(tmp_path, repo, base, head, path)
    assert _ran(done, "eslint"), (done.document or {}).get("tools")
    assert ("eslint/no-unused-vars", "src/app.js", 2) in _found(done)
