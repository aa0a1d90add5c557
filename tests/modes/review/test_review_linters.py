"""The offline review runs the linters the repository configures: real ruff and
real eslint, in the sandbox, on the changed lines only, as findings with the tool's rule id.

The report is attacker text (an eslint configuration is JavaScript the pull request writes):
its messages are redacted and neutralised, its paths and lines kept only where the change added
a line, a run that does not finish is killed and said so. ruff comes from the dev venv, eslint
from the corpus toolbox the harness installs (tests/corpus/tools.py). golangci-lint could not be
installed on this machine (no Debian package, no Go proxy), so only its report reader is tested.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from cicd_agent.modes.review.lint import linters
from cicd_agent.modes.review.lint.lint_reports import (
    LintHit,
    UnreadableReport,
    lint_findings,
    read_report,
)
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.eslint import needs_eslint, needs_node_tool
from tests.helpers.gen_tests import path_env
from tests.helpers.review import pull_request_event
from tests.helpers.sandbox import needs_sandbox

TOKEN = "ghp_" + "Qm7vT2xLp9RkW4sZ8nB3cY6dF1gH5jK0aEw2"


def _review(tmp_path: Path, repo: GitRepoBuilder, base: str, head: str, path: str) -> CliRun:
    argv = ["review", "--provider", "none", "--report-on", "low", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    return run_cli(argv, tmp_path, {"PATH": path, "HOME": str(tmp_path / "home")})


def _rules(done: CliRun) -> list[tuple[str, str, int]]:
    document = done.document or {}
    return [(f["rule"], f["path"], f["line"]) for f in document["findings"]]


PYPROJECT = '[project]\nname = "app"\n\n[tool.ruff.lint]\nselect = ["F", "E"]\n'


@needs_sandbox
def test_ruff_reports_only_the_changed_lines_with_its_rule_ids(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit(
        "start",
        {"pyproject.toml": PYPROJECT, "app/main.py": "import sys\n\n\ndef main():\n    return 0\n"},
    )
    head = repo.commit(
        "Use os",
        {"app/main.py": "import sys\nimport os\n\n\ndef main():\n    x = 1\n    return nope\n"},
    )

    done = _review(tmp_path, repo, base, head, path_env())

    assert done.code == 0, done.stderr
    assert _rules(done), (done.document or {}).get("notes")
    # `import sys` (line 1) was unused before the change: not this change's finding
    assert sorted(_rules(done)) == [
        ("ruff/F401", "app/main.py", 2),
        ("ruff/F821", "app/main.py", 7),
        ("ruff/F841", "app/main.py", 6),
    ]
    finding = next(f for f in (done.document or {})["findings"] if f["rule"] == "ruff/F821")
    assert finding["severity"] == "medium" and finding["title"].startswith("ruff F821: ")


@needs_sandbox
def test_no_linter_runs_where_the_repository_configures_none(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"app/main.py": "def main():\n    return 0\n"})
    head = repo.commit("Import", {"app/main.py": "import os\n\n\ndef main():\n    return 0\n"})

    done = _review(tmp_path, repo, base, head, path_env())

    assert _rules(done) == []
    assert "ruff" not in [tool["tool"] for tool in (done.document or {}).get("tools", [])]
    # installed but not run: said in a note, so its silence is not read as a clean check
    notes = json.dumps((done.document or {}).get("notes", []))
    assert "ruff is installed in this job but review did not run it" in notes


RUFF_MISSING = ("not installed in this job; run `pip install ruff` (the version the project pins) "
                "before this step")


def test_a_configured_linter_that_is_not_installed_is_named(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, "app/main.py": "x = 1\n"})
    head = repo.commit("Import", {"app/main.py": "import os\nx = 1\n"})

    done = _review(tmp_path, repo, base, head, "/usr/bin:/bin")

    # the fix in one line: which package to install (ruff comes with cicd-agent's dev extra
    # only; review runs the project's own linter, as its settings expect it)
    assert _tools(done) == {"ruff": RUFF_MISSING, "python parse": "ran"}


ESLINT_CONFIG = """\
export default [{
  plugins: {
    local: { rules: { loud: { create(context) { return { Program(node) {
      context.report({ node, message: "ask @octocat <img src=x onerror=alert(1)> %s" });
    } }; } } } },
  },
  rules: { "no-unused-vars": "error", "prefer-const": "warn", "local/loud": "error" },
}];
"""


@needs_sandbox
def test_eslint_reports_changed_lines_and_its_messages_are_neutralised(tmp_path: Path) -> None:
    path = needs_eslint()
    repo = GitRepoBuilder(tmp_path / "repo")
    config = ESLINT_CONFIG.replace("%s", TOKEN)
    base = repo.commit(
        "start", {"eslint.config.mjs": config, "src/app.js": "var old = 1;\nconsole.log(1);\n"}
    )
    head = repo.commit(
        "Count",
        {"src/app.js": "var old = 1;\nlet count = 2;\nconsole.log(count);\nconst unused = 3;\n"},
    )

    done = _review(tmp_path, repo, base, head, path)

    assert done.code == 0, done.stderr
    # line 1's unused `old` was there before; the plugin reports on line 1 too (the Program)
    assert sorted(_rules(done)) == [
        ("eslint/no-unused-vars", "src/app.js", 4),
        ("eslint/prefer-const", "src/app.js", 2),
    ]
    severities = {f["rule"]: f["severity"] for f in (done.document or {})["findings"]}
    assert severities == {"eslint/no-unused-vars": "medium", "eslint/prefer-const": "low"}


@needs_sandbox
def test_a_hostile_eslint_message_on_a_changed_line_is_redacted_and_inert(
    tmp_path: Path,
) -> None:
    path = needs_eslint()
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"eslint.config.mjs": ESLINT_CONFIG.replace("%s", TOKEN)})
    head = repo.commit("Add", {"src/app.js": "console.log(1);\n"})

    done = _review(tmp_path, repo, base, head, path)

    [finding] = (done.document or {})["findings"]
    assert finding["rule"] == "eslint/local/loud" and finding["line"] == 1
    text = finding["title"] + finding["body"] + done.summary + done.stdout
    assert TOKEN not in text
    assert "<img" not in finding["body"] and "@octocat" not in finding["body"]


@needs_sandbox
def test_a_linter_that_never_ends_is_killed_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = needs_eslint()
    monkeypatch.setattr(linters, "LINT_TIMEOUT", 3.0)
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"eslint.config.mjs": "for (;;) {}\nexport default [];\n"})
    head = repo.commit("Add", {"src/app.js": "var x = 1;\n"})

    done = _review(tmp_path, repo, base, head, path)

    assert done.code == 0
    why = _tools(done)["eslint"]
    assert why.startswith("it timed out after") and "its findings are missing" in why, why


def test_hits_outside_the_changed_lines_or_files_are_dropped() -> None:
    """A report names any path and line it likes; only added lines of changed files count."""
    report = json.dumps([
        {"filename": "/w/repo/a.py", "code": "F401", "message": "m",
         "location": {"row": 2, "column": 1}},
        {"filename": "/w/repo/a.py", "code": "F401", "message": "m",
         "location": {"row": 3, "column": 1}},
        {"filename": "/w/repo/../../etc/passwd", "code": "X", "message": "m",
         "location": {"row": 2, "column": 1}},
        {"filename": "/elsewhere/a.py", "code": "X", "message": "m",
         "location": {"row": 2, "column": 1}},
        {"filename": "b.py", "code": "E 1;rm", "message": "m",
         "location": {"row": 1, "column": 1}},
    ])  # fmt: skip
    hits = read_report("ruff", report, "/w/repo")
    found = lint_findings("ruff", hits, {"a.py": {2}, "b.py": {1}}, str)
    assert [(f.rule, f.path, f.line) for f in found] == [
        ("ruff/F401", "a.py", 2),
        ("ruff/E1rm", "b.py", 1),
    ]


def test_golangci_lints_report_is_read_as_its_version_2_writes_it() -> None:
    """The shape golangci-lint's own tests expect of ``--output.json.path`` (not produced here:
    the tool could not be installed on this machine)."""
    report = json.dumps({
        "Issues": [
            {"FromLinter": "errcheck", "Text": "Error return value is not checked",
             "Severity": "", "SourceLines": ["\tf()"],
             "Pos": {"Filename": "cmd/root.go", "Offset": 10, "Line": 6, "Column": 2}},
            {"FromLinter": "revive", "Text": "exported function should have comment",
             "Severity": "warning", "Pos": {"Filename": "cmd/root.go", "Line": 9, "Column": 1}},
        ],
        "Report": {"Linters": []},
    })  # fmt: skip
    hits = read_report("golangci-lint", report, "/w/repo")
    assert hits == [
        LintHit("cmd/root.go", 6, "errcheck", "Error return value is not checked", error=True),
        LintHit("cmd/root.go", 9, "revive", "exported function should have comment", error=False),
    ]
    assert read_report("golangci-lint", json.dumps({"Issues": None}), "/w/repo") == []
    # with its statistics on (a configuration may turn them back on), they follow the report
    footer = report + "\n2 issues:\n* errcheck: 1\n* revive: 1\n"
    assert read_report("golangci-lint", footer, "/w/repo") == hits


@needs_sandbox
def test_a_file_the_checkout_holds_in_another_version_is_not_linted(tmp_path: Path) -> None:
    """On a pull request the checkout is often the merge commit: a changed file whose text
    there is not the head's would give the linter other line numbers than the diff's."""
    repo = GitRepoBuilder(tmp_path / "repo")
    main = "x = 1\n\n\ndef f():\n    return 1\n"
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, "app/main.py": main})
    head = repo.commit("Import", {"app/main.py": "import os\n" + main})
    repo.git("checkout", "-q", "-b", "trunk", base)
    repo.commit("Later", {"app/main.py": main.replace("return 1", "return 2")})
    repo.git("merge", "-q", "--no-edit", head)  # main.py merged: neither side's text

    done = _review(tmp_path, repo, base, head, path_env())

    assert _rules(done) == []
    # nothing checked is no clean result: the headline says so, the tool says why
    document = done.document or {}
    assert "Incomplete: ruff could not run" in document["headline"], document["headline"]
    held = repo.head()
    assert {"tool": "ruff", "could_not_run": "1 of the 1 changed file(s) it checks differ in the "
            f"checkout (its HEAD is {held[:12]}) from the reviewed commit {head[:12]}, so it did "
            f"not check them; check out the reviewed commit (`git checkout {head[:12]}`) and "
            "run review again"} in document["tools"], document["tools"]  # fmt: skip
    # a run without an event is no workflow's: no actions/checkout input is the fix
    assert "github.event" not in done.summary


@needs_sandbox
def test_a_file_the_checkout_holds_in_another_version_leaves_no_clean_result(
    tmp_path: Path,
) -> None:
    """actions/checkout's merge commit for a pull request: a changed file the base branch
    changed too is not the head's text there, and is not linted. The files that are the
    head's are; the one left out makes the result incomplete, never "no findings", and the
    tool names the fix (check out the head)."""
    repo = GitRepoBuilder(tmp_path / "repo")
    main = "x = 1\n\n\ndef f():\n    return 1\n"
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, "app/main.py": main,
                                 "app/other.py": "y = 1\n"})  # fmt: skip
    head = repo.commit("Import", {"app/main.py": "import os\n" + main,
                                  "app/other.py": "y = 2\n"})  # fmt: skip
    repo.git("checkout", "-q", "-b", "trunk", base)
    repo.commit("Later", {"app/main.py": main.replace("return 1", "return 2")})
    repo.git("merge", "-q", "--no-edit", head)  # the base changed main.py too

    event = pull_request_event(tmp_path, base, head)  # a workflow's run: actions/checkout's fix
    done = run_cli(["review", "--provider", "none", "--report-on", "low", "--json",
                    "--repo", str(repo.path), "--event", str(event), "--event-name",
                    "pull_request"], tmp_path, {"PATH": path_env(), "HOME": str(tmp_path / "home")})

    document = done.document or {}
    assert done.code == 0, done.stderr
    assert "Incomplete: ruff" in document["headline"], document["headline"]
    said = [t["could_not_run"] for t in document["tools"] if t["tool"] == "ruff"]
    assert any(s.startswith("1 of the 2 changed file(s)") and "head.sha" in s for s in said), said


def test_a_report_with_an_endless_line_or_deep_nesting_is_unreadable_not_a_crash() -> None:
    """A plugin prints whatever it likes on the report's descriptor: an infinite line number
    (JSON's ``1e999``) or a report nested past the parser's depth is named, never a crash."""
    endless = (
        '[{"filePath": "/w/repo/a.js", "messages": [{"line": 1e999, "severity": 2,'
        ' "message": "m", "ruleId": "r"}]}]'
    )
    deep = "[" * 200_000 + "]" * 200_000
    for kind, text in (("eslint", endless), ("ruff", deep), ("golangci-lint", deep)):
        with pytest.raises(UnreadableReport):
            read_report(kind, text, "/w/repo")


@needs_sandbox
def test_an_eslint_config_that_prints_an_endless_line_is_named_not_a_crash(tmp_path: Path) -> None:
    path = needs_eslint()
    repo = GitRepoBuilder(tmp_path / "repo")
    forged = (
        'process.stdout.write(\'[{"filePath": "src/app.js", "messages": [{"line": 1e999, '
        '"severity": 2, "message": "m", "ruleId": "r"}]}]\');\nprocess.exit(0);\n'
        "export default [];\n"
    )
    base = repo.commit("start", {"eslint.config.mjs": forged})
    head = repo.commit("Add", {"src/app.js": "var x = 1;\n"})

    done = _review(tmp_path, repo, base, head, path)

    assert done.code == 0, done.stderr
    assert "its findings are missing" in _tools(done)["eslint"], done.stdout


def _tools(done: CliRun) -> dict[str, str]:
    """The ``tools`` of the ``--json`` document: name → ``ran`` or the reason it did not."""
    return {t["tool"]: t.get("could_not_run") or "ran" for t in (done.document or {})["tools"]}


@needs_sandbox
def test_a_relative_repo_path_finds_the_projects_own_venv_ruff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``review --repo click`` run from the parent folder, with ruff only in the
    project's ``.venv``: ruff failed to start in the sandbox (a relative path) and the review
    said nothing and found nothing; the same range with an absolute path finds F401."""
    repo = GitRepoBuilder(tmp_path / "click")
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, "app/main.py": "x = 1\n"})
    head = repo.commit("Import", {"app/main.py": "import os\nx = 1\n"})
    venv_bin = repo.path / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "ruff").symlink_to(Path(sys.executable).parent / "ruff")
    monkeypatch.chdir(tmp_path)
    argv = ["review", "--provider", "none", "--report-on", "low", "--json",
            "--repo", "click", "--base", base, "--head", head]  # fmt: skip

    done = run_cli(argv, tmp_path, {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home")})

    assert _rules(done) == [("ruff/F401", "app/main.py", 1)], done.stdout
    assert _tools(done) == {"ruff": "ran", "python parse": "ran"}
    assert "- `ruff`: ran" in done.summary


FAKE_RUFF = "#!/bin/sh\necho '[]'\n"
"""A "ruff" that finds nothing: what a pull request would commit to pass off as the job's."""


@needs_sandbox
@pytest.mark.parametrize("how", ["committed", "linked"])
def test_a_ruff_the_pull_request_commits_never_runs_as_the_jobs(
    tmp_path: Path, how: str
) -> None:
    """ATTACK: ruff is configured but not installed in the job; the pull request
    commits an executable ``.venv/bin/ruff`` that prints ``[]`` (or commits it elsewhere and
    the checkout links to it). It ran as ruff: "ruff: ran", no Incomplete, the change's F401
    never reported. A file the pull request's tree tracks is refused, with why, in Tools."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, "app/main.py": "x = 1\n"})
    fake = ".venv/bin/ruff" if how == "committed" else "tools/ruff"
    repo.write({fake: FAKE_RUFF})
    (repo.path / fake).chmod(0o755)
    head = repo.commit("Import", {"app/main.py": "import os\nx = 1\n"})
    if how == "linked":
        (repo.path / ".venv" / "bin").mkdir(parents=True)
        (repo.path / ".venv" / "bin" / "ruff").symlink_to("../../tools/ruff")

    done = _review(tmp_path, repo, base, head, "/usr/bin:/bin")

    named = ".venv/bin/ruff" if how == "committed" else "tools/ruff"
    assert _tools(done) == {
        "ruff": f"the checkout's {named} is a file of the pull request, not an install",
        "python parse": "ran",
    }, done.stdout
    assert f"- `ruff`: could not run: the checkout's {named} is a file" in done.summary
    assert "Incomplete" in (done.document or {})["headline"]


@needs_sandbox
def test_a_linter_that_cannot_start_is_said_not_a_clean_result(tmp_path: Path) -> None:
    """A ruff whose interpreter is gone starts nothing: that is "could not run", not 0 findings."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, "app/main.py": "x = 1\n"})
    head = repo.commit("Import", {"app/main.py": "import os\nx = 1\n"})
    venv_bin = repo.path / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "ruff").write_text("#!/nonexistent/python3\n")
    (venv_bin / "ruff").chmod(0o755)

    done = _review(tmp_path, repo, base, head, "/usr/bin:/bin")

    assert _rules(done) == []
    assert _tools(done)["ruff"].startswith("it wrote no report"), done.stdout
    assert "- `ruff`: could not run: it wrote no report" in done.summary


def test_each_missing_tool_is_named_in_the_summary_and_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every tool review would run, missing (ruff off PATH, zizmor not installed): each says it
    could not run and how to fix it, in the summary and ``--json``."""
    from cicd_agent.local import zizmor

    monkeypatch.setattr(zizmor, "zizmor_binary", lambda: None)
    repo = GitRepoBuilder(tmp_path / "repo")
    flow = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n"
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, "app/main.py": "x = 1\n"})
    head = repo.commit(
        "Import", {"app/main.py": "import os\nx = 1\n", ".github/workflows/ci.yml": flow}
    )

    done = _review(tmp_path, repo, base, head, "/usr/bin:/bin")

    tools = _tools(done)
    assert tools["ruff"] == RUFF_MISSING, tools
    assert "zizmor is not installed (it comes with cicd-agent" in tools["zizmor"], tools
    assert "- `ruff`: could not run: not installed in this job" in done.summary
    assert "- `zizmor`: could not run: zizmor is not installed" in done.summary


# biome 2.6.8's `lint --reporter=json` on a three-line file, as it printed it (its summary's
# timings left out); the human text it prints after the report is ignored.
BIOME_REPORT = json.dumps({"summary": {}, "diagnostics": [
    {"severity": "warning", "message": "This let declares a variable that is only assigned once.",
     "category": "lint/style/useConst", "location": {"path": "src/app.js",
     "start": {"line": 3, "column": 1}, "end": {"line": 3, "column": 4}}, "advices": []},
    {"severity": "error", "message": "Using == may be unsafe if you are relying on type coercion.",
     "category": "lint/suspicious/noDoubleEquals", "location": {"path": "src/app.js",
     "start": {"line": 2, "column": 7}, "end": {"line": 2, "column": 9}}, "advices": []},
    {"severity": "error", "message": "a run-wide diagnostic", "category": "internalError/io",
     "location": {"path": None}, "advices": []},
], "command": "lint"}) + "\nlint ━━━━\n  × Some errors were emitted while running checks.\n"  # fmt: skip


def test_biomes_report_is_read_as_it_prints_it() -> None:
    assert read_report("biome", BIOME_REPORT, "/w/repo") == [
        LintHit("src/app.js", 3, "lint/style/useConst",
                "This let declares a variable that is only assigned once.", error=False),
        LintHit("src/app.js", 2, "lint/suspicious/noDoubleEquals",
                "Using == may be unsafe if you are relying on type coercion.", error=True),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("files", "tool"),
    [
        ({"package.json": '{\n  "name": "ky",\n  "xo": {"rules": {}}\n}\n'}, "xo"),
        ({"xo.config.js": "export default [];\n"}, "xo"),
        ({"biome.json": "{}\n"}, "biome"),
        ({"biome.jsonc": "// on\n{}\n"}, "biome"),
        ({"eslint.config.ts": "export default [];\n"}, "eslint"),
        ({".golangci.yml": "version: '2'\n", "go.mod": "module a\n"}, "golangci-lint"),
    ],
)
def test_the_linters_a_repository_configures_are_found(
    files: dict[str, str], tool: str, tmp_path: Path
) -> None:
    """ky's xo (its ``package.json`` key) was not picked up; biome neither. Found and
    not installed here, each says so rather than passing silently."""
    repo = GitRepoBuilder(tmp_path / "repo")
    changed = "src/app.go" if tool == "golangci-lint" else "src/app.js"
    base = repo.commit("start", files)
    head = repo.commit("Add", {changed: "var x = 1;\n"})

    (tmp_path / "git-only").mkdir()  # go, whose vet a go.mod configures, may be in /usr/bin
    (tmp_path / "git-only" / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    done = _review(tmp_path, repo, base, head, str(tmp_path / "git-only"))

    said = _tools(done)
    assert said[tool].startswith("not installed in this job; "), said
    assert said[tool].endswith(" before this step") and "install it" not in said[tool], said
    assert set(said) == ({tool, "go vet"} if "go.mod" in files else {tool, "node --check"})


@needs_sandbox
def test_a_real_biome_reports_the_changed_lines(tmp_path: Path) -> None:
    """Biome from the corpus toolbox (npm's ``@biomejs/biome`` ships its binary in the package):
    it was skipped on every CI run until the toolbox installed it."""
    path = needs_node_tool("biome")
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"biome.json": "{}\n", "src/app.js": "var a = 1;\n"})
    head = repo.commit("Add", {"src/app.js": "var a = 1;\nif (a == 2) { debugger; }\n"})

    done = _review(tmp_path, repo, base, head, path)

    assert _tools(done) == {"biome": "ran", "node --check": "ran"}, done.stdout
    assert sorted(_rules(done)) == [
        ("biome/lint/suspicious/noDebugger", "src/app.js", 2),
        ("biome/lint/suspicious/noDoubleEquals", "src/app.js", 2),
    ]


def test_every_linter_the_tool_table_names_has_a_reader_and_every_reader_a_linter() -> None:
    """One typed table of readers: a linter added to ``known_tools.toml`` without its reader,
    or a reader left behind when its linter goes, fails here, not on a pull request."""
    from cicd_agent.analysis.known_tools import TOOLS
    from cicd_agent.modes.review.lint.lint_reports import READERS

    named = {tool.checking.report for tool in TOOLS if tool.checking is not None}
    assert named == set(READERS)
