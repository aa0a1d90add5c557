"""The change range of a local analyse-failure: ``--base`` alone or with ``--head``, files named.

A developer runs the tool on a checkout after a failed run, with ``--base`` the commit the
change started from: the range is ``base..HEAD`` and the changed files are listed by name,
the source files the failure points at first, then source before tests and documents.
Real git, real logs (pytest's failure, see ``tests/helpers/failed_run``).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import example, write_event
from tests.helpers.cli import run_cli
from tests.helpers.failed_run import failed_run


def _repo(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/calc.py": "def add(a, b):\n    return a + b\n",
                                "README.md": "calc\n"})  # fmt: skip
    head = repo.commit(
        "change add and its docs",
        {"README.md": "calc adds\n", "src/calc.py": "def add(a, b):\n    return a + b + 0\n",
         "tests/test_failing.py": "def test_x():\n    assert 0\n"},
    )  # fmt: skip
    return repo, base, head


def _run(tmp_path: Path, repo: GitRepoBuilder, *argv: str) -> tuple[dict[str, object], str]:
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(failed_run().zip_path), "--json",
         *argv],
        tmp_path, {"GITHUB_WORKSPACE": str(repo.path)},
    )  # fmt: skip
    assert done.code == 0, done.stdout
    return json.loads(done.stdout), done.summary


def test_base_alone_reads_the_range_up_to_the_checkouts_head(tmp_path: Path) -> None:
    repo, base, _ = _repo(tmp_path)
    document, summary = _run(tmp_path, repo, "--base", base)
    assert "No change range" not in summary
    assert document["changed_files"] == 3
    assert document["changed_paths"] == ["tests/test_failing.py", "src/calc.py", "README.md"]


def test_the_summary_names_the_changed_files(tmp_path: Path) -> None:
    repo, base, head = _repo(tmp_path)
    document, summary = _run(tmp_path, repo, "--base", base, "--head", head)
    assert document["changed_paths"][0] == "tests/test_failing.py"
    said = "3 file(s) changed in the change under test: `tests/test_failing.py`, `src/calc.py`"
    assert said + ", `README.md`" in summary


def test_no_range_at_all_still_says_how_to_give_one(tmp_path: Path) -> None:
    repo, _, _ = _repo(tmp_path)
    document, summary = _run(tmp_path, repo)
    assert "No change range" in summary and "--base" in summary
    assert document["changed_paths"] == []


def test_without_a_range_it_says_no_changed_line_can_be_blamed_and_how_to_give_one(
    tmp_path: Path,
) -> None:
    """Run locally with ``--logs`` and ``--repo`` but no range: the files named are the log's,
    and the summary says plainly why no changed line is among them and how to give a range."""
    repo, _, _ = _repo(tmp_path)
    document, summary = _run(tmp_path, repo, "--repo", str(repo.path))
    assert document.get("changed_files") is None and document["responsible_files"]
    assert "No changed line can be blamed: no change range was given" in summary
    assert "`--base REF`" in summary


def test_a_later_step_of_a_failing_merge_group_job_reads_the_queues_range(tmp_path: Path) -> None:
    """A merge queue's failing job (a real ``merge_group`` payload, the runner's variables), its
    later step with ``logs`` and no token or model: the change is the group's, its base to the
    group's commit, and the run is this job's. Before: "No change range (no event, --base or
    --head)", as if no event had come."""
    repo, base, head = _repo(tmp_path)
    payload = example("merge_group")
    payload["merge_group"].update(base_sha=base, head_sha=head)
    environ = {
        "GITHUB_EVENT_NAME": "merge_group",
        "GITHUB_EVENT_PATH": str(write_event(tmp_path, payload)),
        "GITHUB_REPOSITORY": "octo-org/octo-repo",
        "GITHUB_RUN_ID": "7001",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_WORKFLOW_REF": "octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/"
        "gh-readonly-queue/main/pr-104-929f8209d40f77f4abc622a499c93a83babdbe64",
    }
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(failed_run().zip_path), "--json"],
        tmp_path, {"GITHUB_WORKSPACE": str(repo.path), **environ},
    )  # fmt: skip
    assert done.code == 0, done.stdout
    document = json.loads(done.stdout)
    assert "No change range" not in done.summary
    assert document["changed_paths"] == ["tests/test_failing.py", "src/calc.py", "README.md"]
    assert document["failure_type"] == "test_failure"
    assert document["run_url"].endswith("/actions/runs/7001")
    assert document["branch"].startswith("gh-readonly-queue/main/pr-104-")
