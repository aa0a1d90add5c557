"""analyse-failure through the CLI with local logs: no API, no model.

The logs are real: pytest run on a small project with a failing test, wrapped in the runner's
log format and zip layout by the corpus generator (``tests/corpus``). ``failed_run()`` builds
them once per test session; the GitHub and model tests import it too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.corpus import noise
from tests.corpus.runner_log import Job, Step, render
from tests.git_builder import GitRepoBuilder
from tests.harness import payloads
from tests.harness.payloads import REPO_ROOT
from tests.helpers.cli import run_cli
from tests.helpers.failed_run import ERROR_LINE, ROOT_CAUSE, failed_run, zip_of

ROOT = REPO_ROOT


def test_local_zip_gives_the_json_contract_offline(tmp_path: Path) -> None:
    run = failed_run()
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(run.zip_path), "--json"], tmp_path
    )
    outputs, summary = done.outputs, done.summary
    assert done.code == 0
    document = json.loads(done.stdout)
    assert document["failure_type"] == "test_failure"
    assert document["root_cause"] == ROOT_CAUSE
    assert ERROR_LINE in document["excerpt"] and ROOT_CAUSE in document["excerpt"]
    assert [(j["name"], j["failed_step"]) for j in document["failed_jobs"]] == [
        ("test", "Run tests")
    ]
    assert document["is_flaky"] == "false" and document["tokens_used"] == 0
    assert outputs["failure_type"] == "test_failure"
    assert json.loads(outputs["failed_jobs"])[0]["conclusion"] == "failure"
    assert json.loads(outputs["responsible_files"])[0]["path"] == "tests/test_failing.py"
    assert summary.startswith(
        "### cicd-agent analyse-failure\n\nThe run failed with a test failure"
    )
    assert ROOT_CAUSE in summary
    # nothing on local logs asks GitHub (a re-run is not due), so no note says it could not be
    assert "No GitHub token" not in summary


def test_excerpt_file_goes_under_runner_temp_never_into_the_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(failed_run().zip_path)],
        tmp_path, {"GITHUB_WORKSPACE": str(checkout)},
    )  # fmt: skip
    excerpt = Path(done.outputs["excerpt_file"])
    assert done.code == 0
    assert excerpt.parent == tmp_path / "runner_temp"
    assert ERROR_LINE in excerpt.read_text()
    assert list(checkout.iterdir()) == []


@pytest.mark.parametrize("form", ["folder", "job_text"])
def test_a_folder_or_one_job_text_file_reads_like_the_zip(tmp_path: Path, form: str) -> None:
    run = failed_run()
    path = run.folder if form == "folder" else run.job_text
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(path)], tmp_path)
    assert done.code == 0
    assert done.outputs["failure_type"] == "test_failure"
    assert done.outputs["root_cause"] == ROOT_CAUSE


def test_non_utf8_bytes_in_a_log_are_read(tmp_path: Path) -> None:
    log = failed_run().job_log.replace(b"assert 5 == 6", b"assert 5 == 6 \xff\xfe caf\xe9")
    path = tmp_path / "latin1.zip"
    path.write_bytes(zip_of({"0_test.txt": log}))
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(path), "--json"], tmp_path
    )
    assert done.code == 0
    assert json.loads(done.stdout)["failure_type"] == "test_failure"
    assert "assert 5 == 6" in done.outputs["root_cause"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"PK\x03\x04 this is not really a zip", "is not a readable zip archive"),
        (zip_of({}), "holds no job logs"),
    ],
)
def test_a_corrupt_or_empty_zip_is_a_usage_error(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "logs.zip"
    path.write_bytes(content)
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(path), "--json"], tmp_path
    )
    assert done.code == 2
    document = json.loads(done.stdout)
    error = document["error"]
    assert error == done.outputs["error"]  # --json carries the step output as it is
    message = error.removesuffix(document["hint"]).strip()
    assert says in message and message.count(". ") == 0  # one sentence, then the fix
    assert "could not finish" in done.summary


def test_no_logs_and_no_run_says_how_to_give_them(tmp_path: Path) -> None:
    done = run_cli(["analyse-failure", "--provider", "none", "--json"], tmp_path)
    assert done.code == 2
    assert "pass --logs PATH" in json.loads(done.stdout)["error"]


def test_a_later_step_of_the_failing_job_ranks_the_changed_file(tmp_path: Path) -> None:
    """``--logs`` with the job's own pull_request event: the change comes from the checkout."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/calc.py": "def add(a, b):\n    return a + b\n"})
    head = repo.commit(
        "add a failing test", {"tests/test_failing.py": "def test_x():\n    assert 0\n"}
    )
    payload = payloads.example("pull_request", "opened")
    payload["pull_request"]["head"]["sha"], payload["pull_request"]["base"]["sha"] = head, base
    event = payloads.write_event(tmp_path, payload)
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(failed_run().zip_path), "--json"],
        tmp_path,
        {"GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": "pull_request",
         "GITHUB_WORKSPACE": str(repo.path)},
    )  # fmt: skip
    assert done.code == 0
    document = json.loads(done.stdout)
    top = document["responsible_files"][0]
    assert (top["path"], top["changed"]) == ("tests/test_failing.py", True)
    assert document["responsible_commit"] == head
    assert document["changed_files"] == 1


def test_the_console_script_runs_offline(tmp_path: Path) -> None:
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("cicd-agent")), "analyse-failure",
         "--provider", "none", "--logs", str(failed_run().zip_path), "--json"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={"PATH": "/usr/bin:/bin", "RUNNER_TEMP": str(tmp_path)},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["root_cause"] == ROOT_CAUSE


def test_the_bundled_example_explains_its_failure(tmp_path: Path) -> None:
    """The README's quick start: the example zip is a real failed run."""
    (example,) = (ROOT / "examples" / "logs").glob("*.zip")
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(example), "--json"], tmp_path
    )
    document = json.loads(done.stdout)
    assert done.code == 0
    assert document["failure_type"] == "test_failure"
    assert "assert" in document["root_cause"] and "assert" in document["excerpt"]


def test_an_offline_run_on_local_logs_imports_no_sdk(tmp_path: Path) -> None:
    probe = (
        "import io, sys\n"
        "from cicd_agent.cli import main\n"
        f"code = main(['analyse-failure', '--provider', 'none', '--logs', {str(failed_run().zip_path)!r}],"
        " environ={}, stdout=io.StringIO(), stderr=io.StringIO())\n"
        "print(code, [m for m in ('openai', 'github', 'git', 'requests') if m in sys.modules])\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert completed.stdout.strip() == "0 []", completed.stderr


# -------------------------------------------------- Attacks: Markdown in the failed step's name
# Red team (Markdown injection): the failed step's name is the first line of its ``run:``,
# which the pull request writes. ``pytest -q | tee log.txt`` is an ordinary line, and its ``|``
# ended the code span's table cell: what followed became live HTML and a team mention in the job
# summary and in the failure comment posted on the pull request.


OUTPUT = (
    b"FAILED tests/test_a.py::test_x - AssertionError: boom\n"
    b"========================= 1 failed in 0.05s =========================\n"
)
HOSTILE = "pytest -q | <img src=https://evil.example/p.png> @octo-org/admins"


def test_a_pipe_in_the_failed_steps_name_does_not_open_the_table_cell(tmp_path: Path) -> None:
    job = Job("test | <b>job</b>", [noise.checkout(), Step("Test", run=HOSTILE, output=OUTPUT,
                                                             exit_code=1)])  # fmt: skip
    log = tmp_path / "job.txt"
    log.write_bytes(render(job)[0])
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(log)], tmp_path, {})
    assert done.code == 0, done.stderr
    rows = [line for line in done.summary.splitlines() if line.startswith("| ") and "Run " in line]
    assert len(rows) == 1, done.summary
    # a GitHub table splits a row at every | that is not escaped, code spans included
    cells = [cell for cell in rows[0].replace("\\|", "").split("|")]
    assert len(cells) == 6, rows[0]  # four cells between the outer bars
    # Shown, as text: the summary is neutralised as a whole last, and a code span in a table
    # cell holding ``\|`` is one the code finder cannot place, so it is escaped like prose.
    assert "Run pytest -q \\| &lt;img" in rows[0]


GO_GREEN = (
    "##[group]Run go test ./...\n"
    "ok  \tgithub.com/spf13/pflag\t(cached)\n"
    "ok  \tgithub.com/spf13/pflag/doc\t0.012s\n"
)
GO_RED = (
    "##[group]Run go test ./...\n"
    "--- FAIL: TestParse (0.00s)\n"
    "    flag_test.go:12: got 1, want 2\n"
    "FAIL\n"
    "FAIL\tgithub.com/spf13/pflag\t0.004s\n"
)


@pytest.mark.parametrize(("log", "kind"), [(GO_GREEN, "none"), (GO_RED, "test_failure")])
def test_a_green_log_is_no_failure_found_and_a_red_one_is_still_read(
    tmp_path: Path, log: str, kind: str
) -> None:
    path = tmp_path / "go.txt"
    path.write_text(log)
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(path)], tmp_path)
    assert done.code == 0
    assert done.outputs["failure_type"] == kind
    assert ("No failure found" in done.summary) is (kind == "none")
    assert ("error of unknown kind" in done.summary) is False


@pytest.mark.parametrize(
    ("names", "flaky"),
    [(("test (3.11)", "test (3.12)"), "likely"), (("test", "lint"), "false"),
     (("test (3.11)", "lint (3.12)"), "false")],
)  # fmt: skip
def test_a_test_failure_whose_matrix_sibling_passed_may_be_flaky_and_names_it(
    tmp_path: Path, names: tuple[str, str], flaky: str
) -> None:
    """Real pytest logs of one matrix: one entry failed a test, its sibling passed it on the
    same commit. Likely flaky, naming the sibling; another job passing says nothing."""
    run = failed_run()
    path = tmp_path / "run.zip"
    path.write_bytes(zip_of({f"0_{names[0]}.txt": run.job_log, f"1_{names[1]}.txt": run.green_log}))
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(path)], tmp_path)
    assert done.code == 0 and done.outputs["failure_type"] == "test_failure"
    assert done.outputs["is_flaky"] == flaky
    assert ("**Flaky?** Likely, by the run's other jobs: the same job in another matrix entry, "
            "test (3.12), passed on the same commit" in done.summary) is (flaky == "likely")
