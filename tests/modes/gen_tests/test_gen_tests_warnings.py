"""What gen-tests says loudly: a runner where no sandbox can be built, a suite that never imported
the change. Real CLI, real git repository, real pytest, the local model server."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from cicd_agent.cli import main
from tests.fixtures.gentests_project.build import make_repo
from tests.harness.model_server import TEST_API_KEY, ModelServer
from tests.helpers.gen_tests import INNER_BIN, gate_reruns, path_env

GOOD_BULK = (
    "import pytest\nfrom shop.pricing import bulk_discount\n\n\n"
    "@pytest.mark.parametrize(('quantity', 'total'), [(5, 5.0), (10, 9.5), (50, 45.0), (100, 85.0)])\n"
    "def test_discount_steps(quantity, total):\n    assert bulk_discount(quantity, 1.0) == total\n\n\n"
    "def test_negative_quantity_is_refused():\n    with pytest.raises(ValueError):\n"
    "        bulk_discount(-1, 1.0)\n"
)
INNER = [str(INNER_BIN)] if INNER_BIN.is_dir() else []


def _run(argv: list[str], tmp_path: Path, path: str) -> tuple[int, dict[str, object], str]:
    summary = tmp_path / "summary.md"
    environ = {
        "PATH": path,
        "HOME": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "outputs"),
        "GITHUB_STEP_SUMMARY": str(summary),
        "OPENAI_API_KEY": TEST_API_KEY,
    }
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(["gen-tests", *argv, "--json"], environ=environ, stdout=stdout, stderr=stderr)
    document = json.loads(stdout.getvalue()) if stdout.getvalue().strip() else {}
    return code, document, summary.read_text() if summary.exists() else ""


def _path_without_bwrap(tmp_path: Path) -> str:
    """The test's Python and the few tools a run needs, but no ``bwrap``: the projects' own
    interpreter first, as :func:`path_env` puts it, so the unsandboxed runs' pytest starts
    without the dev environment's plugins."""
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("git", "sh", "cp", "mkdir"):
        found = shutil.which(name)
        assert found is not None
        (tools / name).symlink_to(found)
    return os.pathsep.join([*INNER, str(Path(sys.executable).parent), str(tools)])


@pytest.mark.slow
def test_without_a_sandbox_no_model_written_code_runs_unless_allowed(
    tmp_path: Path, model_server: ModelServer
) -> None:
    repo = tmp_path / "shop"
    base, head = make_repo(repo)
    path = _path_without_bwrap(tmp_path)
    model_server.answer({"test_module": GOOD_BULK, "rationale": "every discount step"})
    argv = ["--repo", str(repo), "--base", base, "--head", head]
    argv += ["--base-url", model_server.base_url, "--source", "src/shop/pricing.py"]
    code, document, summary = _run(argv, tmp_path, path)
    assert code == 0
    assert model_server.chat_requests == []  # not even asked: nothing it wrote could run
    assert document["tests_generated"] == 0
    warning = str(document["warnings"][0])  # type: ignore[index]
    assert warning.startswith("No sandbox: bubblewrap cannot run on this runner (bwrap is not")
    assert "No model-written code is run" in warning
    assert "no sandbox could be built on this runner" in str(document["headline"])
    assert "> [!WARNING]\n> No sandbox" in summary
    assert str(document["isolation"]).startswith("NO SANDBOX")

    with gate_reruns(1):  # the sandbox's absence is at stake, not a flaky candidate
        code, document, _ = _run([*argv, "--allow-unsandboxed"], tmp_path, path)
    assert code == 0
    assert len(model_server.chat_requests) >= 1
    assert "run anyway" in str(document["warnings"][0])  # type: ignore[index]
    assert document["tests_generated"] >= 1
    assert document["tests_accepted"] == 1  # the suite and the candidate really ran, unsandboxed


def test_a_suite_that_never_imported_the_change_is_called_out(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    base, head = make_repo(repo)
    # The tests import `shop` from an "installed release" (another copy), not from src/.
    shutil.copytree(repo / "src" / "shop", repo / "release" / "shop")
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('pythonpath = ["src"]\n', ""))
    path = path_env()
    summary_path = tmp_path / "summary.md"
    environ = {
        "PATH": path,
        "HOME": str(tmp_path),
        "PYTHONPATH": "release",
        "GITHUB_OUTPUT": str(tmp_path / "outputs"),
        "GITHUB_STEP_SUMMARY": str(summary_path),
    }
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = ["gen-tests", "--repo", str(repo), "--base", base, "--head", head]
    code = main(
        [*argv, "--provider", "none", "--json"], environ=environ, stdout=stdout, stderr=stderr
    )
    document = json.loads(stdout.getvalue())
    assert code == 0
    assert document["suite_exit_code"] == 0  # the suite passed: against the other copy
    assert float(str(document["coverage_before"])) == 0.0
    assert str(document["headline"]).startswith(
        "The tests never imported 1 of the 1 changed file(s) from this checkout"
    )
    assert any(
        "never imported `src/shop/pricing.py`" in str(w) and "pip install -e ." in str(w)
        for w in document["warnings"]  # type: ignore[union-attr]
    )
    assert "never imported" in summary_path.read_text()


def _suite_error(
    tmp_path: Path, command: str, *, bare: bool = False
) -> tuple[int, dict[str, object]]:
    repo = tmp_path / "shop"
    base, head = make_repo(repo)
    if bare:  # an interpreter with no pytest, inside the checkout (the sandbox hides /tmp)
        import venv

        venv.create(repo / "bare", with_pip=False)
    stdout, stderr = io.StringIO(), io.StringIO()
    environ = {"PATH": path_env(),
               "HOME": str(tmp_path)}  # fmt: skip
    argv = ["gen-tests", "--repo", str(repo), "--base", base, "--head", head,
            "--provider", "none", "--test-command", command, "--json"]  # fmt: skip
    code = main(argv, environ=environ, stdout=stdout, stderr=stderr)
    return code, json.loads(stdout.getvalue())


def test_a_test_interpreter_without_pytest_is_exit_2_with_its_own_error(tmp_path: Path) -> None:
    """Before: exit 0, and a warning that the tests "probably ran against another copy"."""
    code, document = _suite_error(tmp_path, "bare/bin/python -m pytest", bare=True)
    assert code == 2
    assert "No module named pytest" in str(document["error"])
    assert "pip install" in str(document["hint"])
    assert "another copy" not in json.dumps(document)


def test_a_missing_test_program_is_exit_2_naming_it(tmp_path: Path) -> None:
    code, document = _suite_error(tmp_path, "no-such-test-runner --all")
    assert code == 2
    assert "no-such-test-runner" in str(document["error"])


def test_a_suite_that_collects_no_tests_is_exit_2_with_pytests_line(tmp_path: Path) -> None:
    code, document = _suite_error(tmp_path, "python -m pytest -k no_test_is_called_this")
    assert code == 2
    assert "no tests ran" in str(document["error"])
    assert "Point test-command at your tests" in str(document["hint"])


def test_a_suite_that_cannot_import_is_exit_2_quoting_pytest_before_any_model_call(
    tmp_path: Path,
) -> None:
    """The wrong interpreter, or a package not installed: pytest stops at collection (exit 2,
    "Interrupted: 1 error during collection") and runs no test. Before: 0.00 % coverage,
    invented gaps and exit 0, with a model's tokens spent on a suite that cannot start."""
    repo = tmp_path / "shop"
    base, head = make_repo(repo, {"tests/test_needs.py": "import not_installed_anywhere\n\n\n"
                                  "def test_x():\n    assert not_installed_anywhere\n"})  # fmt: skip
    stdout, stderr = io.StringIO(), io.StringIO()
    environ = {"PATH": path_env(),
               "HOME": str(tmp_path)}  # fmt: skip
    argv = ["gen-tests", "--repo", str(repo), "--base", base, "--head", head,
            "--provider", "none", "--test-command", "python -m pytest", "--json"]  # fmt: skip
    assert main(argv, environ=environ, stdout=stdout, stderr=stderr) == 2
    document = json.loads(stdout.getvalue())
    assert "No module named 'not_installed_anywhere'" in str(document["error"])
    assert "pip install" in str(document["hint"])
    assert "coverage_before" not in document
