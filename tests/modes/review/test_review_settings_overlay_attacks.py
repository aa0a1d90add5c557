"""Attacks on review's running of each checker with the base branch's settings files: a pull
request's settings in other files the checker reads, settings files that are links or stand
in a linked folder, very many of them, one that is a FIFO. Real ruff, mypy and eslint 7, in
the sandbox, through the CLI."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.corpus.tools import TOOLS_DIR, Toolbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox


def _review(
    tmp_path: Path, repo: GitRepoBuilder, base: str, head: str, path: str, **more: str
) -> CliRun:
    argv = ["review", "--provider", "none", "--report-on", "low", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    return run_cli(argv, tmp_path, {"PATH": path, "HOME": str(tmp_path / "home"), **more})


def _found(done: CliRun) -> list[tuple[str, str, int]]:
    assert done.document is not None, done.stderr
    return [(f["rule"], f["path"], f["line"]) for f in done.document["findings"]]


def _why(done: CliRun, tool: str) -> str | None:
    """Why ``tool`` could not run ("" where it ran; None where it is not listed)."""
    assert done.document is not None, done.stderr
    said = [t["could_not_run"] for t in done.document["tools"] if t["tool"] == tool]
    return said[0] if said else None


RUFF = '[project]\nname = "app"\n\n[tool.ruff.lint]\nselect = ["F"]\n'
QUIET = '[lint]\nselect = ["E"]\nignore = ["F821"]\n'
MAIN = "def main():\n    return 0\n"
BROKEN = "def main():\n    return nope\n"


@needs_sandbox
def test_attack_a_ruff_toml_linked_to_a_host_file_is_not_read_nor_written(
    tmp_path: Path,
) -> None:
    """ATTACK: the head's ``.ruff.toml`` is a link to a file outside the checkout that ignores
    F821; the overlay removes the link (never following it), ruff runs with the base's
    settings, and the host file is as it was."""
    host = tmp_path / "host" / "quiet.toml"
    host.parent.mkdir()
    host.write_text(QUIET)
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": RUFF, "app/main.py": MAIN})
    (repo.path / ".ruff.toml").symlink_to(host)
    head = repo.commit("quiet", {"app/main.py": BROKEN})
    done = _review(tmp_path, repo, base, head, path_env())
    assert _why(done, "ruff") == "", (done.document or {}).get("tools")
    assert ("ruff/F821", "app/main.py", 2) in _found(done)
    assert host.read_text() == QUIET
    assert (repo.path / ".ruff.toml").is_symlink()  # the checkout itself is untouched


@needs_sandbox
def test_attack_a_settings_folder_swapped_for_a_link_makes_ruff_say_it_could_not_run(
    tmp_path: Path,
) -> None:
    """ATTACK: the base has ``sub/ruff.toml``; the head makes ``sub`` a link to a host folder
    holding a ruff.toml that ignores F821, and breaks a file elsewhere. The base's copy
    cannot be put through the link: ruff says in one line it could not run, and nothing of
    the host folder is read or written."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "ruff.toml").write_text(QUIET)
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": RUFF, "app/main.py": MAIN,
                                 "sub/ruff.toml": '[lint]\nselect = ["F"]\n',
                                 "sub/x.py": "X = 1\n"})  # fmt: skip
    repo.git("rm", "-q", "-r", "--", "sub")
    (repo.path / "sub").symlink_to(host, target_is_directory=True)
    head = repo.commit("link", {"app/main.py": BROKEN})
    done = _review(tmp_path, repo, base, head, path_env())
    why = _why(done, "ruff")
    assert why, (done.document or {}).get("tools")
    assert "\n" not in why and "sub" in why, why
    assert sorted(p.name for p in host.iterdir()) == ["ruff.toml"]
    assert (host / "ruff.toml").read_text() == QUIET
    assert done.code != 0 or "Incomplete" in done.summary + done.stdout


MYPY = '[project]\nname = "app"\n\n[tool.mypy]\nstrict = true\n'


@needs_sandbox
@pytest.mark.parametrize(
    "name", ["mypy.ini", ".mypy.ini", "setup.cfg"], ids=["mypy.ini", ".mypy.ini", "setup.cfg"]
)
def test_attack_a_mypy_file_read_before_pyproject_does_not_quiet_mypy(
    tmp_path: Path, name: str
) -> None:
    """ATTACK: the base configures mypy in pyproject.toml; the head adds a file mypy reads
    first (mypy.ini, .mypy.ini; setup.cfg after pyproject) with ``ignore_errors``."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": MYPY, "app/x.py": "LIMIT: int = 1\n"})
    head = repo.commit("quiet", {name: "[mypy]\nignore_errors = True\n",
                                 "app/x.py": 'LIMIT: int = "one"\n'})  # fmt: skip
    done = _review(tmp_path, repo, base, head, path_env())
    assert _why(done, "mypy") == "", (done.document or {}).get("tools")
    assert ("mypy/assignment", "app/x.py", 1) in _found(done)


@needs_sandbox
def test_attack_very_many_nested_ruff_settings_do_not_stall_the_review(tmp_path: Path) -> None:
    """ATTACK: the head adds 3,000 folders each with a ruff.toml ignoring F821 and a Python
    file that uses an undefined name: every one is taken away, in bounded time."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": RUFF, "app/main.py": MAIN})
    many: dict[str, str | bytes] = {}
    for i in range(3000):
        many[f"d{i}/ruff.toml"] = QUIET
        many[f"d{i}/m.py"] = "X = nope\n"
    head = repo.commit("many", {**many, "app/main.py": BROKEN})
    started = time.monotonic()
    done = _review(tmp_path, repo, base, head, path_env())
    took = time.monotonic() - started
    assert _why(done, "ruff") == "", (done.document or {}).get("tools")
    found = _found(done)
    assert ("ruff/F821", "app/main.py", 2) in found
    assert ("ruff/F821", "d0/m.py", 1) in found
    assert took < 120, took


@needs_sandbox
def test_attack_a_fifo_in_place_of_a_settings_file_does_not_stall_the_review(
    tmp_path: Path,
) -> None:
    """ATTACK: a step before review (the pull request's build) left a FIFO named
    ``.ruff.toml`` in the checkout: nothing opens it (a read would wait for a writer for ever),
    and ruff runs with the base's settings."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": RUFF, "app/main.py": MAIN})
    head = repo.commit("broken", {"app/main.py": BROKEN})
    os.mkfifo(repo.path / ".ruff.toml")
    started = time.monotonic()
    done = _review(tmp_path, repo, base, head, path_env())
    assert time.monotonic() - started < 60
    assert _why(done, "ruff") == "", (done.document or {}).get("tools")
    assert ("ruff/F821", "app/main.py", 2) in _found(done)


ESLINTRC = "root: true\nenv: {node: true}\nrules: {no-undef: error}\n"


def _eslint7() -> Path:
    installed = TOOLS_DIR / "eslint7" / "node_modules"
    if not Toolbox(TOOLS_DIR).prepare(("eslint7",)) or not (installed / ".bin" / "eslint").exists():
        if os.environ.get("CI"):
            pytest.fail(f"eslint 7 could not be installed into {TOOLS_DIR}")
        pytest.skip(f"eslint 7 is not in the corpus toolbox ({TOOLS_DIR})")
    return installed


@needs_sandbox
@pytest.mark.parametrize(
    "quiet",
    [
        {"lib/package.json": '{"name": "lib", "eslintConfig": {"rules": {"no-undef": "off"}}}\n'},
        {".eslintignore": "lib/\n"},
    ],
    ids=["nested package.json eslintConfig", ".eslintignore"],
)
def test_attack_eslint_7_reads_no_settings_the_pull_request_adds(
    tmp_path: Path, quiet: dict[str, str]
) -> None:
    """ATTACK: eslint 7 (eslintrc) reads more than its config files: a nested package.json's
    ``eslintConfig`` and the root's ``.eslintignore``. The head adds one that turns
    ``no-undef`` off for, or ignores, the folder it breaks."""
    installed = _eslint7()
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {".eslintrc.yml": ESLINTRC, ".gitignore": "node_modules\n",
                                 "lib/index.js": "module.exports = 1\n"})  # fmt: skip
    head = repo.commit("typo", {**quiet, "lib/index.js": "module.exports = vall\n"})
    shutil.copytree(installed, repo.path / "node_modules", symlinks=True)  # its `npm ci`
    done = _review(tmp_path, repo, base, head, path_env())
    assert _why(done, "eslint") == "", (done.document or {}).get("tools")
    assert ("eslint/no-undef", "lib/index.js", 1) in _found(done)


@needs_sandbox
@pytest.mark.parametrize(
    ("name", "text"),
    [("app/ruff.toml", QUIET), ("app/.ruff.toml", QUIET),
     ("app/pyproject.toml", '[tool.ruff.lint]\nselect = ["E"]\nignore = ["F821"]\n')],
    ids=["ruff.toml", ".ruff.toml", "pyproject.toml"],
)  # fmt: skip
def test_attack_a_nested_ruff_setting_does_not_quiet_ruff_in_its_folder(
    tmp_path: Path, name: str, text: str
) -> None:
    """ATTACK: ruff reads the settings file nearest each file; the head adds one beside the
    file it breaks."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": RUFF, "app/main.py": MAIN})
    head = repo.commit("quiet", {name: text, "app/main.py": BROKEN})
    done = _review(tmp_path, repo, base, head, path_env())
    assert _why(done, "ruff") == "", (done.document or {}).get("tools")
    assert ("ruff/F821", "app/main.py", 2) in _found(done)


@needs_sandbox
@pytest.mark.xfail(
    strict=True,
    reason="open: a file the base's settings name (ruff's `extend`) is read as the head has "
    "it; docs/modes/review.md says so",
)
def test_attack_the_file_rufs_extend_names_is_the_pull_requests(tmp_path: Path) -> None:
    """ATTACK: the base's pyproject.toml extends ``lint/base.toml``; the head edits that file
    to ignore F821."""
    extend = '[project]\nname = "app"\n\n[tool.ruff]\nextend = "lint/base.toml"\n'
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": extend, "app/main.py": MAIN,
                                 "lint/base.toml": '[lint]\nselect = ["F"]\n'})  # fmt: skip
    head = repo.commit("quiet", {"lint/base.toml": QUIET, "app/main.py": BROKEN})
    done = _review(tmp_path, repo, base, head, path_env())
    assert _why(done, "ruff") == "", (done.document or {}).get("tools")
    assert ("ruff/F821", "app/main.py", 2) in _found(done)


ESLINT9 = 'import rules from "./lint/rules.mjs";\nexport default [{ rules }];\n'


@needs_sandbox
@pytest.mark.xfail(
    strict=True,
    reason="open: a module the base's eslint.config imports is read as the head has it; "
    "docs/modes/review.md says so",
)
def test_attack_a_module_eslints_config_imports_is_the_pull_requests(tmp_path: Path) -> None:
    """ATTACK: the base's eslint.config.mjs imports its rules from ``lint/rules.mjs``; the head
    turns ``no-unused-vars`` off there."""
    from tests.helpers.eslint import needs_eslint

    path = needs_eslint()
    rules = 'export default { "no-unused-vars": "%s" };\n'
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"eslint.config.mjs": ESLINT9, "lint/rules.mjs": rules % "error",
                                 "src/app.js": "console.log(1);\n"})  # fmt: skip
    head = repo.commit("off", {"lint/rules.mjs": rules % "off",
                               "src/app.js": "console.log(1);\nconst unused = 3;\n"})  # fmt: skip
    done = _review(tmp_path, repo, base, head, path)
    assert _why(done, "eslint") == "", (done.document or {}).get("tools")
    assert ("eslint/no-unused-vars", "src/app.js", 2) in _found(done)


CARGO = '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n'
LIB = "pub fn one() -> i32 {\n    1\n}\n"


@needs_sandbox
@pytest.mark.xfail(
    strict=True,
    reason="open: .cargo/config.toml is read as the head has it (its rustflags reach clippy); "
    "docs/modes/review.md says so",
)
def test_attack_cargo_config_rustflags_quiet_clippy(tmp_path: Path) -> None:
    """ATTACK: the head adds ``.cargo/config.toml`` whose rustflags allow every clippy lint,
    with a change clippy flags (a needless ``return``)."""
    if shutil.which("cargo-clippy", path=path_env()) is None:
        pytest.skip("clippy is not installed here")
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"Cargo.toml": CARGO, "src/lib.rs": LIB})
    head = repo.commit("quiet", {
        ".cargo/config.toml": '[build]\nrustflags = ["-A", "clippy::all"]\n',
        "src/lib.rs": LIB + "\npub fn two() -> i32 {\n    return 2;\n}\n",
    })  # fmt: skip
    rustup = os.environ.get("RUSTUP_HOME") or str(Path.home() / ".rustup")
    done = _review(tmp_path, repo, base, head, path_env(), RUSTUP_HOME=rustup)
    assert _why(done, "clippy") == "", (done.document or {}).get("tools")
    assert any(rule == "clippy/needless_return" for rule, _, _ in _found(done))


EIGHT = "pub fn eight(a: i32, b: i32, c: i32, d: i32, e: i32, f: i32, g: i32, h: i32) -> i32 {\n"
WRITES = (
    "fn main() {\n"
    '    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();\n'
    '    let _ = std::fs::write(format!("{dir}/clippy.toml"), "too-many-arguments-threshold = 99\\n");\n'
    "}\n"
)


@needs_sandbox
@pytest.mark.xfail(
    strict=True,
    reason="open: the pull request's build.rs runs before clippy reads clippy.toml, and "
    "writes it in the run's copy; docs/modes/review.md says so",
)
def test_attack_a_build_script_rewrites_clippy_toml_during_the_run(tmp_path: Path) -> None:
    """ATTACK: the base's settings are put in place before the run, but the head's build.rs
    runs inside it, before clippy reads its settings: it writes a clippy.toml that raises
    ``too-many-arguments-threshold``, with a change that adds a function of eight arguments."""
    if shutil.which("cargo-clippy", path=path_env()) is None:
        pytest.skip("clippy is not installed here")
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"Cargo.toml": CARGO, "src/lib.rs": LIB})
    body = "    a + b + c + d + e + f + g + h\n}\n"
    head = repo.commit("quiet", {"build.rs": WRITES, "src/lib.rs": LIB + "\n" + EIGHT + body})
    rustup = os.environ.get("RUSTUP_HOME") or str(Path.home() / ".rustup")
    done = _review(tmp_path, repo, base, head, path_env(), RUSTUP_HOME=rustup)
    assert _why(done, "clippy") == "", (done.document or {}).get("tools")
    assert ("clippy/too_many_arguments", "src/lib.rs", 5) in _found(done)


HOSTILE = "@everyone <img src=x onerror=alert(1)> [go](https:example.com)"


@needs_sandbox
def test_attack_a_hostile_folder_name_in_the_could_not_run_line_is_neutralised(
    tmp_path: Path,
) -> None:
    """ATTACK: the head adds ``NAME/ruff.toml`` under a folder whose name is markdown, HTML and
    a mention, and a step before review (the pull request's ``npm ci``) swaps the folder for a
    link: the line that says ruff could not run quotes the name as inert text."""
    host = tmp_path / "host"
    host.mkdir()
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": RUFF, "app/main.py": MAIN})
    head = repo.commit("quiet", {f"{HOSTILE}/ruff.toml": QUIET, "app/main.py": BROKEN})
    shutil.rmtree(repo.path / HOSTILE)
    (repo.path / HOSTILE).symlink_to(host, target_is_directory=True)
    done = _review(tmp_path, repo, base, head, path_env())
    why = _why(done, "ruff")
    assert why, (done.document or {}).get("tools")
    assert "\n" not in why
    line = next(ln for ln in done.summary.splitlines() if "`ruff`" in ln)
    assert "@everyone" not in line and "<img" not in line, line
    assert not re.search(r"(?<!\\)\]\(", line), line  # a link's opening only escaped
    assert list(host.iterdir()) == []


@pytest.mark.parametrize(
    "path", ["../escape/ruff.toml", "app/../../escape/ruff.toml", "/escape/ruff.toml"]
)
def test_attack_a_settings_path_that_climbs_out_is_refused_and_writes_nothing(
    tmp_path: Path, path: str
) -> None:
    """ATTACK: a name with ``..`` or an absolute one (git writes none, but a diff read from
    elsewhere might): the overlay refuses it, and nothing outside the copy is made or taken."""
    from cicd_agent.local.checkout_files import CheckoutFileError
    from cicd_agent.modes.review.lint.lint_command import Setting, put_settings

    copy = tmp_path / "space" / "copy"
    (copy / "app").mkdir(parents=True)
    outside = tmp_path / "space" / "escape"
    outside.mkdir()
    (outside / "ruff.toml").write_text(QUIET)
    for text in (None, "[lint]\n"):
        with pytest.raises(CheckoutFileError):
            put_settings(copy, [Setting(path, text)])
    assert [p.name for p in outside.iterdir()] == ["ruff.toml"]
    assert (outside / "ruff.toml").read_text() == QUIET
    assert not Path("/escape").exists()
