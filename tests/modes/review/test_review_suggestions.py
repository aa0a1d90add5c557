"""Review's suggestions are checked before they are posted: the repository's own ruff
fixes (only those it calls safe, only on the lines the change added) become suggestion blocks
once the verifier ran the touched file's tests and ruff with them in the sandbox. One that
breaks a test loses its block (the finding stays) and the summary names the test; a fix that
reaches past the added lines is never offered. Real ruff, real pytest, real sandbox, the CLI.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from cicd_agent.analysis.finding import Finding
from cicd_agent.modes.review.decide import keep_held_suggestions
from cicd_agent.modes.review.keeps_passing import Kept
from cicd_agent.modes.review.lint.lint_fixes import Edit, fixed_lines
from cicd_agent.modes.review.lint.lint_reports import read_report
from cicd_agent.modes.review.placement import comment_body
from cicd_agent.modes.review.suggestions import patch
from cicd_agent.modes.review.types import SuggestionChecks, key_of
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.gen_tests import PROJECT_PYTHON, path_env
from tests.helpers.sandbox import needs_sandbox

PYPROJECT = '[project]\nname = "app"\n\n[tool.ruff.lint]\nselect = ["F", "I"]\n'
MAIN = "import sys\n\n\ndef main():\n    return sys.argv\n"
TESTS = "from app import main\n\n\ndef test_main():\n    assert main.main()\n"


def _review(tmp_path: Path, head_files: dict[str, str]) -> CliRun:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, "app/__init__.py": "",
                                 "app/main.py": MAIN, "tests/test_main.py": TESTS})  # fmt: skip
    head = repo.commit("change", head_files)
    argv = ["review", "--provider", "none", "--report-on", "low", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    return run_cli(argv, tmp_path, {"PATH": path_env(), "HOME": str(tmp_path / "home")})


def _finding(done: CliRun, rule: str) -> dict[str, Any]:
    document = done.document or {}
    return next(f for f in document["findings"] if f["rule"] == rule)


@needs_sandbox
def test_a_safe_ruff_fix_is_posted_as_a_checked_suggestion(tmp_path: Path) -> None:
    done = _review(tmp_path, {"app/main.py": "import os\nimport sys\n\n\ndef main():\n"
                                             "    return sys.argv\n"})  # fmt: skip
    assert done.code == 0, done.stderr
    finding = _finding(done, "ruff/F401")
    assert finding["suggestion"] == "" and finding["line"] == 1  # deletes `import os`
    assert finding["checked"].startswith("Applied to the head in the sandbox and checked: 1 test "
                                         "passes with it (1 test file(s), and ruff")  # fmt: skip
    comment = next(c for c in (done.document or {})["comments"] if c["line"] == 1)
    assert "```suggestion\n```" in comment["body"]  # an empty block: the line is deleted
    assert f"_{finding['checked']}_" in comment["body"]
    assert "1 suggestion(s) checked in the sandbox, 0 withheld." in (done.document or {})["notes"]


@needs_sandbox
def test_a_fix_that_breaks_a_test_loses_its_block_and_the_summary_names_the_test(
    tmp_path: Path,
) -> None:
    head = {"app/main.py": "import os\nimport sys\n\n\ndef main():\n    return sys.argv\n",
            "tests/test_main.py": TESTS + "\n\ndef test_os():\n    assert main.os.sep\n"}  # fmt: skip
    done = _review(tmp_path, head)
    assert done.code == 0, done.stderr
    finding = _finding(done, "ruff/F401")
    assert finding["suggestion"] is None and finding["checked"] == ""  # the finding stays
    notes = (done.document or {})["notes"]
    assert ("1 suggestion(s) checked in the sandbox, 1 withheld: they broke "
            "`tests/test_main.py::test_os`.") in notes, notes  # fmt: skip


SRC_TESTS = "from app import main\n\n\ndef test_main():\n    assert main.main()\n"


def _src_review(tmp_path: Path, *, venv: bool, editable: bool = False, tests: str = "") -> CliRun:
    """webcolors' layout, as a new user met it: the package under ``src``, importable only where
    the project is installed; with ``venv``, the checkout's own ``.venv`` has it (a path file,
    as ``pip install -e .`` writes one: ``editable``, naming the checkout's own ``src``) and
    pytest, the job's ``python`` on PATH neither."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": PYPROJECT, ".gitignore": ".venv/\n",
                                 "src/app/__init__.py": "", "src/app/main.py": MAIN,
                                 "tests/test_main.py": SRC_TESTS})  # fmt: skip
    head = repo.commit("change", {"src/app/main.py": "import os\n" + MAIN,
                                  "tests/test_main.py": SRC_TESTS + tests})  # fmt: skip
    if venv:
        subprocess.run([PROJECT_PYTHON, "-m", "venv", "--without-pip", str(repo.path / ".venv")],
                       check=True, timeout=120)  # fmt: skip
        inner = subprocess.run([PROJECT_PYTHON, "-c", "import pytest, os; print(os.path.dirname("
                                "os.path.dirname(pytest.__file__)))"], check=True, timeout=60,
                               capture_output=True, text=True).stdout.strip()  # fmt: skip
        (site,) = (repo.path / ".venv" / "lib").glob("python3*/site-packages")
        (site / "tools.pth").write_text(inner + "\n", encoding="utf-8")
        src = f"{repo.path / 'src'}" if editable else "../../../../src"  # else: the copy's own
        (site / "app.pth").write_text(src + "\n", encoding="utf-8")
    argv = ["review", "--provider", "none", "--report-on", "low", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    return run_cli(argv, tmp_path, {"PATH": path_env(), "HOME": str(tmp_path / "home")})


@needs_sandbox
def test_a_suggestions_tests_run_with_the_checkouts_own_python_as_its_linters_do(
    tmp_path: Path,
) -> None:
    """ruff comes from the checkout's ``.venv``, and so does the Python its tests run with: the
    job's ``python`` on PATH cannot import the project, which read as "no test passed"."""
    done = _src_review(tmp_path, venv=True)
    assert done.code == 0, done.stderr
    finding = _finding(done, "ruff/F401")
    assert finding["checked"].startswith("Applied to the head in the sandbox and checked: 1 test "
                                         "passes with it (1 test file(s)"), finding  # fmt: skip


@needs_sandbox
def test_attack_an_editable_install_does_not_test_the_checkout_in_place_of_the_patched_copy(
    tmp_path: Path,
) -> None:
    """``pip install -e .`` names the checkout's own ``src``: the copy with the suggestion applied
    imported the package from there, unpatched, so a fix that breaks a test read as held."""
    done = _src_review(tmp_path, venv=True, editable=True,
                       tests="\n\ndef test_os():\n    assert main.os.sep\n")  # fmt: skip
    assert done.code == 0, done.stderr
    finding = _finding(done, "ruff/F401")
    assert finding["suggestion"] is None and finding["checked"] == "", finding
    notes = (done.document or {})["notes"]
    assert ("1 suggestion(s) checked in the sandbox, 1 withheld: they broke "
            "`tests/test_main.py::test_os`.") in notes, notes  # fmt: skip


@needs_sandbox
def test_a_suggestions_tests_that_cannot_import_the_project_say_so_and_the_fix(
    tmp_path: Path,
) -> None:
    done = _src_review(tmp_path, venv=False)
    assert done.code == 0, done.stderr
    checked = _finding(done, "ruff/F401")["checked"]
    assert ("its tests could not be imported with the job's python (ModuleNotFoundError: No "
            "module named 'app'), so no test checked it: install the project there before this "
            "step (`pip install -e .`)") in checked, checked  # fmt: skip
    assert "passed without the change" not in checked


@needs_sandbox
def test_a_fix_reaching_past_the_added_lines_is_never_offered(tmp_path: Path) -> None:
    """ruff's import sorting (I001) rewrites the whole import block: the change added one line
    of it, so the fix would change lines the pull request did not touch."""
    done = _review(tmp_path, {"app/main.py": "import zlib\nimport sys\n\n\ndef main():\n"
                                             "    return sys.argv, zlib\n"})  # fmt: skip
    assert done.code == 0, done.stderr
    assert _finding(done, "ruff/I001")["suggestion"] is None


def test_only_ruffs_safe_fixes_are_read() -> None:
    report = (
        '[{"code": "F401", "filename": "/r/a.py", "location": {"row": 1, "column": 8}, '
        '"message": "m", "fix": {"applicability": "safe", "edits": [{"content": "", '
        '"location": {"row": 1, "column": 1}, "end_location": {"row": 2, "column": 1}}]}},'
        '{"code": "E711", "filename": "/r/a.py", "location": {"row": 3, "column": 4}, '
        '"message": "m", "fix": {"applicability": "unsafe", "edits": [{"content": "x is None", '
        '"location": {"row": 3, "column": 4}, "end_location": {"row": 3, "column": 13}}]}}]'
    )
    safe, unsafe = read_report("ruff", report, "/r")
    assert safe.edits == (Edit((1, 1), (2, 1), ""),) and unsafe.edits == ()


def test_fixed_lines_are_whole_lines_and_a_stray_edit_is_none() -> None:
    text = "import os\nif x == None:\n    pass\n"
    assert fixed_lines(text, (Edit((1, 1), (2, 1), ""),)) == (1, 1, "")
    assert fixed_lines(text, (Edit((2, 4), (2, 13), "x is None"),)) == (2, 2, "if x is None:\n")
    assert fixed_lines(text, (Edit((9, 1), (9, 2), "y"),)) is None  # past the file: not about it
    overlapping = (Edit((2, 4), (2, 9), "a"), Edit((2, 6), (2, 8), "b"))
    assert fixed_lines(text, overlapping) is None


def _suggested(suggestion: str) -> Finding:
    return Finding(rule="model-bug", severity="medium", category="bug", path="a.py", line=2,
                   title="t", body="b", suggestion=suggestion, source="model")  # fmt: skip


def test_decide_keeps_a_block_only_where_the_verifier_held_it() -> None:
    held, broken, unchecked = _suggested("a = 1\n"), _suggested("a = 2\n"), _suggested("a = 3\n")
    checks = SuggestionChecks({
        key_of(held): Kept(True, "Checked in the sandbox with this change applied: ruff still pass."),
        key_of(broken): Kept(False, "it broke t", ("tests/test_a.py::test_x",)),
    })  # fmt: skip
    found, notes = keep_held_suggestions([held, broken, unchecked], checks)
    assert [f.suggestion for f in found] == ["a = 1\n", None, None]
    assert found[0].checked.startswith("Checked in the sandbox")
    assert notes == [
        "2 suggestion(s) checked in the sandbox, 1 withheld: they broke `tests/test_a.py::test_x`.",
        "1 suggestion(s) left unchecked (the check's cap or time budget, no result from their "
        "tests, or a text the post would change), so posted without their block.",
    ]
    assert "suggestion" not in comment_body(found[2], suggestion=True)  # unchecked: no block


def _as_github_applies(text: str, first: int, last: int, block: str) -> str:
    """``text`` with lines ``first``..``last`` replaced by ``block``, lines counted as git and
    GitHub count them: a line ends at ``\\n`` and nowhere else."""
    lines = text.split("\n")
    new = block.removesuffix("\n").split("\n") if block else []
    return "\n".join([*lines[: first - 1], *new, *lines[last:]])


@needs_sandbox
def test_attack_a_form_feed_above_a_fix_cannot_move_the_block_onto_another_line(
    tmp_path: Path,
) -> None:
    """A form feed (a page break, common in older Python files) or a U+2028 in a comment is a
    line break to Python's ``splitlines`` but not to git, ruff or GitHub. The block must be
    ruff's own fix of the line it sits on, and the check must have run that same change: here
    the block was read one line too high and replaced the ``return`` with the line above it,
    while the check ran that line's own fix, and said the tests still passed."""
    head_text = ('"""The app.\x0c"""\nimport sys\n\n\ndef main():\n    x = [1,f"argv"][0]\n'
                 '    return f"argv", sys.argv, x\n')  # fmt: skip
    done = _review(tmp_path, {"app/main.py": head_text})
    assert done.code == 0, done.stderr
    for finding in (done.document or {})["findings"]:
        if finding["suggestion"] is not None:
            first = finding.get("start_line") or finding["line"]
            posted = _as_github_applies(head_text, first, finding["line"], finding["suggestion"])
            fixed = 'x = [1,"argv"][0]' if finding["line"] == 6 else 'return "argv"'
            assert posted == head_text.replace(fixed.replace('"argv"', 'f"argv"'), fixed)


def test_attack_a_line_break_python_sees_in_a_suggestion_is_checked_as_posted(
    tmp_path: Path,
) -> None:
    """A suggestion (the model's) holding a U+2028 or a form feed inside a string: split by
    ``str.splitlines``, its patch had one line more than git reads, and ``git apply`` refused
    it (so it went unchecked, without its block). The patch the sandbox checks is now the
    block GitHub applies, line for line."""
    import subprocess

    text = "A = 1\nSEP = ','\nB = 2\n"
    for odd in ("\u2028", "\x0c", "\x1c"):
        suggestion = f"SEP = '{odd}'\n"
        finding = Finding(rule="model-bug", severity="medium", category="bug", path="a.py",
                          line=2, title="t", body="b", suggestion=suggestion, source="model")  # fmt: skip
        repo = GitRepoBuilder(tmp_path / f"repo{ord(odd)}")
        repo.commit("start", {"a.py": text})
        (repo.path / "p.diff").write_text(patch(finding, text), encoding="utf-8")
        subprocess.run(["git", "apply", "p.diff"], cwd=repo.path, check=True, capture_output=True)
        checked = (repo.path / "a.py").read_text(encoding="utf-8")
        assert checked == _as_github_applies(text, 2, 2, suggestion), repr(odd)
