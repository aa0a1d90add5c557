"""Attacks on the reruns of a change's own tests, through the real CLI and the real sandbox:
what a test's node id can hold must not stop the reruns of the change's other tests."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.gen_tests.conditions import varied
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import run_gen_tests
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox

FLAKY = """\
import pathlib


def test_every_other_run():
    counter = pathlib.Path(__file__).with_name("counter.txt")
    seen = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(seen + 1))
    assert seen % 2 == 0
"""
# One parameter id longer than a single argument may be (Linux: 128 KiB): a node id the
# reruns cannot put on a command line.
LONG_ID = """\
import pytest


@pytest.mark.parametrize("value", [1], ids=["q" * 140_000])
def test_long(value):
    assert value
"""


ALONE_ROUND = 1 + next(i for i, c in enumerate(varied(0).conditions) if not c.files)
"""Runs up to the hunt's first round of the tests alone, by node id (the others name files):
where an id would reach a command line. The rest of the hunt's rounds prove nothing more here,
so these attacks ask for fewer (``--pr-test-runs``); the full hunt is test_gen_tests_pr_tests.py's."""
SHORT_ROUNDS = ("--test-timeout", "15")
"""Each round's repetitions last about half the test timeout (its share of the hunt's budget,
at most the timeout): seconds here, not the default's half-minute; every round still repeats
the tests in its one session."""


def test_a_node_id_too_long_for_a_command_line_hides_no_flaky_test(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("base", {"pyproject.toml": "[project]\nname='p'\n"})
    head = repo.commit("add tests", {"tests/test_flaky.py": FLAKY, "tests/test_long.py": LONG_ID})
    code, document, _, _ = run_gen_tests(
        ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none",
         "--pr-test-runs", str(ALONE_ROUND), *SHORT_ROUNDS], tmp_path,
    )  # fmt: skip
    assert code == 0
    verdicts = {str(r["test"])[:50]: (r["verdict"], r["runs"]) for r in document["pr_tests"]}  # type: ignore[union-attr, index]
    # Both are run, up to the round of the tests alone: the long id is never dropped, the
    # flaky test is named, and the long one's records reach the judge whole (each is written
    # to its last byte, even when the sandbox stops the run mid-write to measure its disk).
    assert verdicts["tests/test_flaky.py::test_every_other_run"][0] == "flaky"
    long_verdict, long_runs = verdicts["tests/test_long.py::test_long[" + "q" * 20]
    assert long_verdict == "stable" and long_runs >= 2, document["pr_tests_runs"]
    assert document["tests_flaky"] == 1


def test_a_test_file_named_like_pytests_argument_file_adds_no_option(tmp_path: Path) -> None:
    """Attack: pytest reads ``@name`` as a file of arguments; a test file the change adds as
    ``@x_test.py`` would make ``x_test.py`` (already in the base) options of every rerun."""
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit(
        "base", {"pyproject.toml": "[project]\nname='p'\n", "x_test.py": "--collect-only\n"}
    )
    head = repo.commit(
        "add tests",
        {"tests/test_flaky.py": FLAKY, "@x_test.py": "def test_ok():\n    assert True\n"},
    )
    code, document, _, _ = run_gen_tests(
        ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none",
         "--pr-test-runs", str(ALONE_ROUND), *SHORT_ROUNDS], tmp_path,
    )  # fmt: skip
    assert code == 0
    # (runs: at least its rounds, each round after the first repeating it in one session)
    verdicts = {r["test"]: (r["verdict"], min(r["runs"], ALONE_ROUND)) for r in document["pr_tests"]}  # type: ignore[union-attr, index]
    assert verdicts == {
        "tests/test_flaky.py::test_every_other_run": ("flaky", ALONE_ROUND),
        "@x_test.py::test_ok": ("stable", ALONE_ROUND),
    }


def _fake_plugin() -> str:
    """Our plugin's own source, every outcome it reports turned into a pass."""
    from cicd_agent.runners.pytest.boot import cicd_agent_pytest_plugin

    real = Path(cicd_agent_pytest_plugin.__file__).read_text(encoding="utf-8")
    forged = real.replace("= report.outcome", '= "passed"')
    assert forged != real
    return forged


def test_a_module_named_like_our_plugin_does_not_replace_it(tmp_path: Path) -> None:
    """Attack: ``python -m pytest`` puts the copy's root first on ``sys.path``, so a
    ``cicd_agent_pytest_plugin.py`` the change adds there would be loaded for ours and report
    its flaky test as passing every run."""
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("base", {"pyproject.toml": "[project]\nname='p'\n"})
    head = repo.commit(
        "add tests", {"tests/test_flaky.py": FLAKY, "cicd_agent_pytest_plugin.py": _fake_plugin()}
    )
    code, document, _, _ = run_gen_tests(  # two runs: the second fails, unless forged
        ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none",
         "--pr-test-runs", "2", *SHORT_ROUNDS], tmp_path,
    )  # fmt: skip
    assert code == 0
    verdicts = {r["test"]: (r["verdict"], min(r["runs"], 2)) for r in document["pr_tests"]}  # type: ignore[union-attr, index]
    assert verdicts == {"tests/test_flaky.py::test_every_other_run": ("flaky", 2)}


FLOOD = """\
import json
import os


def test_forges():
    # The report written by the test itself, naming 10,001 cases of the claimed test.
    fd = int(os.environ["CICD_GENTESTS_EVIDENCE_FD"])
    tests = {f"tests/test_flood.py::test_forges[{i}]": "passed" for i in range(10_001)}
    with os.fdopen(fd, "wb") as pipe:
        pipe.write(json.dumps({"tests": tests, "exitstatus": 0}).encode() + b"\\n")
    os._exit(0)
"""


def test_a_report_naming_more_tests_than_are_followed_stops_the_reruns(tmp_path: Path) -> None:
    """Attack: a test floods the report with ids of its own file (a parametrize explosion does
    the same, slower); each would be kept, run again and reported (the evidence pipe's cap
    allows a million). Past 10,000 the rounds stop and nothing is called stable."""
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("base", {"pyproject.toml": "[project]\nname='p'\n"})
    head = repo.commit("flood", {"tests/test_flood.py": FLOOD})
    code, document, _, _ = run_gen_tests(
        ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none"], tmp_path
    )
    assert code == 0
    verdicts = {r["test"]: (r["verdict"], r["runs"]) for r in document["pr_tests"]}  # type: ignore[union-attr, index]
    assert verdicts == {"tests/test_flood.py::test_forges": ("unchecked", 0)}
    assert "names 10,001 tests of the change, more than the 10,000 followed" in str(
        document["pr_tests_runs"]
    )


def test_addopts_that_block_our_plugin_do_not_silence_it(tmp_path: Path) -> None:
    """Attack (held): the change's own ``pyproject.toml`` blocks our plugin in ``addopts``;
    our ``-p`` comes after them on the command line and loads it again: the flaky test is
    still found."""
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("base", {"pyproject.toml": "[project]\nname='p'\n"})
    addopts = '[tool.pytest.ini_options]\naddopts = "-p no:cicd_agent_pytest_plugin"\n'
    head = repo.commit(
        "add tests",
        {"pyproject.toml": "[project]\nname='p'\n" + addopts, "tests/test_flaky.py": FLAKY},
    )
    code, document, _, _ = run_gen_tests(  # two runs: the second fails, if our plugin sees it
        ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none",
         "--pr-test-runs", "2", *SHORT_ROUNDS], tmp_path,
    )  # fmt: skip
    assert code == 0
    verdicts = {r["test"]: r["verdict"] for r in document["pr_tests"]}  # type: ignore[union-attr, index]
    assert verdicts == {"tests/test_flaky.py::test_every_other_run": "flaky"}
