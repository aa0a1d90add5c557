"""The tools the fix step knows: each recognised by its failure line and by a command that
runs it, and a checking command rewritten to its fixing form (check-only switches dropped,
fixing switches added once); a test runner or type checker is never rewritten."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cicd_agent.analysis.known_tools import TOOLS, KnownTool, base, tools_named
from cicd_agent.local.job_tools import Refused, job_tool
from cicd_agent.runners.jest.runner import Jest
from tests.git_builder import GitRepoBuilder

BY_NAME = {tool.name: tool for tool in TOOLS}


def _tool(name: str) -> KnownTool:
    return BY_NAME[name]


@pytest.mark.parametrize(
    ("name", "words", "fixing"),
    [
        ("ruff check", "ruff check --no-fix src", "ruff check --fix src"),
        ("ruff check", "python -m ruff check --diff .", "python -m ruff check --fix ."),
        ("ruff check", "ruff check --fix .", "ruff check --fix ."),
        ("ruff format", "ruff format --check .", "ruff format ."),
        ("black", "black --check --diff src", "black src"),
        ("isort", "isort -c .", "isort ."),
        ("eslint", "./node_modules/.bin/eslint --fix-dry-run src", "./node_modules/.bin/eslint --fix src"),
        ("prettier", "npx prettier --check=true .", "npx prettier --write ."),
    ],
)  # fmt: skip
def test_a_checking_command_becomes_its_fixing_form(name: str, words: str, fixing: str) -> None:
    assert _tool(name).rewrite(words.split()) == fixing.split()


@pytest.mark.parametrize(
    ("name", "words"),
    [("pytest", "pytest -x tests"), ("mypy", "mypy src"), ("golangci-lint", "golangci-lint run"),
     ("ruff check", "black --check ."), ("ruff check", "ruff format --check .")],
)  # fmt: skip
def test_a_tool_without_a_fixing_form_or_another_command_is_not_rewritten(
    name: str, words: str
) -> None:
    assert _tool(name).rewrite(words.split()) is None


@pytest.mark.parametrize(
    ("name", "line", "command"),
    [
        ("ruff check", "Found 3 errors.", "uv run ruff check ."),
        ("ruff format", "Would reformat: src/app.py", "ruff format --check"),
        ("black", "would reformat src/app.py", "black --check ."),
        ("mypy", "Found 2 errors in 1 file (checked 3 source files)", "mypy src"),
        ("clippy", "= help: for further information visit https://rust-lang.github.io/"
         "rust-clippy/master/index.html#needless_return", "cargo +nightly --locked clippy"),
        ("clippy", "", "~/.cargo/bin/cargo-clippy clippy --all-targets -- -D warnings"),
    ],
)
def test_a_tool_is_known_by_its_failure_line_and_its_command(
    name: str, line: str, command: str
) -> None:
    tool = _tool(name)
    assert tool.says.search(line) or not line, tool.says.pattern
    assert tool.runs.search(command), tool.runs.pattern


def _unbounded_inside_unbounded(tree: object, inside: bool = False) -> bool:
    """Whether a parsed pattern repeats, without bound, something that itself repeats
    without bound (``(\\S+\\s+)*``): tried from each start of a long line, that is quadratic
    or worse."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser as p

    for op, arg in tree if isinstance(tree, (list, p.SubPattern)) else ():
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            _, high, body = arg
            unbounded = high == c.MAXREPEAT
            if (unbounded and inside) or _unbounded_inside_unbounded(body, inside or unbounded):
                return True
        elif op in (c.SUBPATTERN, c.ATOMIC_GROUP):
            if _unbounded_inside_unbounded(arg[-1] if op == c.SUBPATTERN else arg, inside):
                return True
        elif op == c.BRANCH and any(_unbounded_inside_unbounded(b, inside) for b in arg[1]):
            return True
    return False


@pytest.mark.parametrize("tool", TOOLS, ids=lambda tool: tool.name)
def test_no_tools_pattern_repeats_a_repetition_without_bound(tool: KnownTool) -> None:
    """Attack (red team): the command a failed step ran and its log lines are the pull
    request's. clippy's ``cargo(-clippy)?\\s+(\\S+\\s+)*?clippy`` took 5 s on a 32 KiB line
    of ``cargo a `` and grows with the square of it: analyse-failure stalled. No pattern a
    tool is found by nests unbounded repetitions; a long hostile command is read at once."""
    from re import _parser as p  # type: ignore[attr-defined]

    for pattern in (tool.says, tool.runs):
        assert not _unbounded_inside_unbounded(p.parse(pattern.pattern)), pattern.pattern


def test_the_nesting_is_found_and_a_long_hostile_command_is_read_at_once() -> None:
    from re import _parser as p  # type: ignore[attr-defined]

    for word in ("cargo", "ruff", "biome", "golangci-lint"):
        assert tools_named("mypy . && " + f"{word} a " * 20_000) == ["mypy"]
    assert _unbounded_inside_unbounded(p.parse(r"cargo\s+(\S+\s+)*?clippy"))
    assert _unbounded_inside_unbounded(p.parse(r"a(?:b|(c+)+)"))
    assert not _unbounded_inside_unbounded(p.parse(r"cargo\s+([^\s;]+\s+){0,6}?clippy"))


def test_names_are_unique_and_a_fixing_tool_can_be_rewritten() -> None:
    assert len(BY_NAME) == len(TOOLS)
    for tool in TOOLS:
        if tool.fixes:
            words = [tool.executable, *([tool.subcommand] if tool.subcommand else []), "x"]
            assert tool.rewrite(words) is not None, tool.name


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho '[]'\n")
    path.chmod(0o755)
    return path


def test_a_tool_is_found_on_path_or_where_the_checkouts_ci_installs_it(tmp_path: Path) -> None:
    assert base("./node_modules/.bin/eslint") == "eslint" and base("ruff") == "ruff"
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("start", {"app.js": ""})
    local = _executable(repo.path / "node_modules" / ".bin" / "eslint-test-only")
    environ = {"PATH": os.defpath}
    assert job_tool("eslint-test-only", repo.path, environ, installs=True) == str(local)
    assert job_tool("eslint-test-only", tmp_path / "elsewhere", environ, installs=True) is None


def _refused(name: str) -> Refused:
    return Refused(f"the checkout's {name} is a file of the pull request, not an install")


def test_attack_no_file_the_pull_request_tracks_runs_as_the_jobs_tool(tmp_path: Path) -> None:
    """ATTACK: a committed ``.venv/bin/ruff`` or ``node_modules/.bin/jest``, an
    untracked link to a committed file, a file under a committed link to a folder, or the
    checkout's folder put on ``PATH``: each would run the pull request's program as the job's
    tool (a linter that finds nothing, a test runner whose every test passes)."""
    repo = GitRepoBuilder(tmp_path / "repo")
    _executable(repo.path / ".venv" / "bin" / "ruff")
    _executable(repo.path / "node_modules" / ".bin" / "jest")
    _executable(repo.path / "tools" / "bin" / "mypy")
    _executable(repo.path / "tools" / "bin" / "black")
    (repo.path / "venv").symlink_to("tools")
    repo.commit("bring our own tools", {"app.py": ""})
    (repo.path / "node_modules" / ".bin" / "eslint").symlink_to("../../tools/bin/mypy")
    environ = {"PATH": os.defpath}
    assert job_tool("ruff", repo.path, environ, installs=True) == _refused(".venv/bin/ruff")
    assert job_tool("eslint", repo.path, environ, installs=True) == _refused("tools/bin/mypy")
    assert job_tool("black", repo.path, environ, installs=True) == _refused("venv")
    on_path = {"PATH": f"{repo.path / 'tools' / 'bin'}:{os.defpath}"}
    assert job_tool("mypy", repo.path, on_path, installs=True) == _refused("tools/bin/mypy")
    assert Jest().missing(repo.path, environ) == (
        "could not run: the checkout's node_modules/.bin/jest is a file of the pull "
        "request, not an install"
    )


def test_an_untracked_install_still_runs_and_git_unsure_means_no(tmp_path: Path) -> None:
    """``npm ci`` into an untracked (ignored) ``node_modules``, a link from there to a tool
    outside the checkout: the job's, they run. Where git cannot answer, the tool does not."""
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("start", {".gitignore": "node_modules\n"})
    installed = _executable(repo.path / "node_modules" / "jest" / "bin" / "jest.js")
    (repo.path / "node_modules" / ".bin").mkdir()
    (repo.path / "node_modules" / ".bin" / "jest").symlink_to("../jest/bin/jest.js")
    outside = _executable(tmp_path / "job" / "ruff")
    (repo.path / ".venv" / "bin").mkdir(parents=True)
    (repo.path / ".venv" / "bin" / "ruff").symlink_to(outside)
    assert job_tool("node_modules/.bin/jest", repo.path, {}) == str(
        repo.path / "node_modules/.bin/jest"
    )
    assert installed.is_file()
    assert job_tool("ruff", repo.path, {"PATH": os.defpath}, installs=True) == str(
        repo.path / ".venv/bin/ruff"
    )
    bare = tmp_path / "not-a-repo"
    _executable(bare / ".venv" / "bin" / "ruff")
    refused = job_tool("ruff", bare, {"PATH": os.defpath}, installs=True)
    assert isinstance(refused, Refused) and refused.reason.startswith("git cannot say whether")



def test_attack_a_tracked_tool_is_found_whatever_its_case(tmp_path: Path) -> None:
    """ATTACK: on macOS and Windows the file system opens the index's ``BIN/go`` as
    ``bin/go``, so a job whose ``PATH`` names the checkout's ``bin`` ran the pull request's
    program: the index was asked for ``bin/go`` only. Here the folder is renamed behind git's
    back, which leaves the same index and path as such a checkout."""
    repo = GitRepoBuilder(tmp_path / "repo")
    _executable(repo.path / "BIN" / "go")
    repo.commit("bring our own go", {"go.mod": "module x\n"})
    (repo.path / "BIN").rename(repo.path / "bin")
    on_path = {"PATH": f"{repo.path / 'bin'}:{os.defpath}"}
    assert job_tool("go", repo.path, on_path) == _refused("BIN/go")
    (repo.path / "bin" / "go").unlink()
    _executable(repo.path / "bin" / "g[o]")  # a name that, read as a pattern, is another's
    assert job_tool("g[o]", repo.path, on_path) == str(repo.path / "bin" / "g[o]")


@pytest.mark.parametrize(
    ("tracked", "opened"),
    [("node_moduleſ/.bin/eslint", "node_modules/.bin/eslint"),  # long s: folds to s
     ("node_modules/.bin/\u212aarma", "node_modules/.bin/karma"),  # Kelvin sign: folds to k
     ("node_modules/.bin/cafe\u0301", "node_modules/.bin/caf\u00e9")],  # decomposed é
    ids=["long-s", "kelvin", "decomposed"],
)  # fmt: skip
def test_attack_a_tracked_tool_is_found_whatever_its_unicode_case(
    tracked: str, opened: str, tmp_path: Path
) -> None:
    """Git's ``icase`` folds ASCII letters only; macOS and Windows fold Unicode case and
    (macOS) normalization, so the index's ``node_moduleſ`` is the folder opened as
    ``node_modules``."""
    repo = GitRepoBuilder(tmp_path / "repo")
    _executable(repo.path / tracked)
    repo.commit("bring our own tools", {"app.js": ""})
    (repo.path / tracked).rename(repo.path / "moved")
    (repo.path / opened).parent.mkdir(parents=True, exist_ok=True)
    (repo.path / "moved").rename(repo.path / opened)
    name = opened.rsplit("/", 1)[1]
    refused = job_tool(name, repo.path, {"PATH": os.defpath}, installs=True)
    assert isinstance(refused, Refused), refused
    assert refused.reason.endswith("is a file of the pull request, not an install")
