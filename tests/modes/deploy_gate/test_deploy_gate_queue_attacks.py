"""Attacks on a merge queue's run of deploy-gate and gen-tests, and on the text deploy-gate's
reasons are written from.

In a merge queue the pull request still writes the group's commits (messages, authors, files);
GitHub writes the payload's range. A dependency a manifest names is the pull request's text
too: a ``package.json`` key may hold any character, a newline or a bidi override included.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.resolve import load_event
from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import example, write_event
from tests.helpers.cli import CliRun, run_cli

SOURCE = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(5))
# A dependency's name that, written as it came, would end the reason's list item, put a heading
# and a table of its own in the summary, and turn the rest of its line around (U+202E).
HEADING = "# Approved by the security team"
DEPENDENCY = f"left-pad\n\n{HEADING}\n\n| gate | pass |\n|---|---|\n\u202egnp.exe"
MESSAGE_MARK = "queued-message-mark"
MESSAGE = f"{MESSAGE_MARK} @octo-org/admins [click](https://evil.example) <img src=x>\n\n::error::x"


def _queue_event(tmp_path: Path, base: str, head: str, **fields: object) -> Path:
    payload = example("merge_group")
    group = payload["merge_group"]
    assert isinstance(group, dict)
    group.update(base_sha=base, head_sha=head, **fields)
    return write_event(tmp_path, payload)


def _run(mode: str, tmp_path: Path, repo: Path, event: Path, head: str) -> CliRun:
    argv = [mode, "--provider", "none", "--repo", str(repo), "--event", str(event),
            "--event-name", "merge_group"]  # fmt: skip
    if mode == "deploy-gate":
        argv += ["--cache-dir", str(tmp_path / "cache")]
    return run_cli(argv, tmp_path, {"RUNNER_TEMP": "", "GITHUB_SHA": head})


@pytest.fixture(scope="module")
def queued(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """One deploy-gate run on a merge group whose commit adds a hostile dependency name and
    carries a hostile message (in git and in the payload's ``head_commit``)."""
    tmp_path = tmp_path_factory.mktemp("queue")
    repo = GitRepoBuilder(tmp_path / "shop")
    manifest = {"name": "shop", "dependencies": {"express": "4.0.0"}}
    base = repo.commit("Start", {"src/shop.py": SOURCE, "package.json": json.dumps(manifest)})
    manifest["dependencies"][DEPENDENCY] = "1.0.0"  # type: ignore[index]
    head = repo.commit(MESSAGE, {"package.json": json.dumps(manifest)})
    commit = {"id": head, "message": MESSAGE, "author": {"name": MESSAGE, "email": "a@b.c"}}
    event = _queue_event(tmp_path, base, head, head_commit=commit)
    return _run("deploy-gate", tmp_path, repo.path, event, head)


def test_attack_a_dependency_name_writes_no_lines_into_the_reasons(queued: CliRun) -> None:
    """Before: the dependency floor's reason quoted the entry as it came, so the name's
    newlines ended the list item and the summary showed the heading and table it wrote."""
    assert queued.code == 0, queued.stderr
    reason = next(line for line in queued.summary.splitlines() if "dependency entr" in line)
    assert "\\n\\n# Approved by the security team" in reason, reason  # shown, on its line
    lines = queued.summary.splitlines()
    assert HEADING not in lines and "| gate | pass |" not in lines, queued.summary
    assert "\u202e" not in queued.summary  # the override escaped: no text turned around
    arithmetic = next(line for line in lines if line.startswith("How the points make the risk"))
    assert "left-pad" not in arithmetic  # numbers and our words only


def test_attack_the_groups_commit_message_reaches_no_summary(queued: CliRun) -> None:
    """The queue's commit message (in git and in the payload's head_commit) is the pull
    request's text: deploy-gate's summary, outputs and log never show it."""
    assert queued.code == 0, queued.stderr
    for text in (queued.summary, queued.outputs_text, queued.stderr):
        assert MESSAGE_MARK not in text
        assert "::error::x" not in text


@pytest.mark.parametrize("mode", ["deploy-gate", "gen-tests"])
def test_a_queue_range_naming_a_commit_the_clone_lacks_is_one_line_and_exit_2(
    mode: str, tmp_path: Path
) -> None:
    """A base or head the checkout does not hold (a shallow clone, or a payload of another
    repository): one line naming the commit and the fix, exit 2, the summary still written."""
    repo = GitRepoBuilder(tmp_path / "shop")
    head = repo.commit("Start", {"src/shop.py": SOURCE})
    absent = "1" * 40
    done = _run(mode, tmp_path, repo.path, _queue_event(tmp_path, absent, head), head)
    assert done.code == 2, done.stderr
    assert f"The base commit '{absent}' is not in the repository" in done.summary
    assert "fetch-depth: 0" in done.summary
    assert "Traceback" not in done.stderr


def test_attack_a_queue_payloads_range_is_two_commit_ids_or_exit_2(tmp_path: Path) -> None:
    """The payload's range is handed to git: an option (``--upload-pack=``), a revision
    expression, a line of workflow commands or a value of another type is refused as it loads,
    in one line naming the field, the value shown quoted and cut; fields we do not read (a
    ``head_commit`` of the wrong type) are left alone."""
    sha = "a" * 40
    hostile: list[tuple[dict[str, object], str]] = [
        ({"base_sha": "--upload-pack=touch /tmp/pwned"}, "merge_group.base_sha"),
        ({"head_sha": "HEAD~1"}, "merge_group.head_sha"),
        ({"head_sha": sha + "\n::set-output name=x::" + "y" * 200}, "merge_group.head_sha"),
        ({"base_sha": sha.upper()}, "merge_group.base_sha"),
        ({"base_sha": 12}, "merge_group.base_sha"),
        ({"head_ref": ["gh-readonly-queue/main"]}, "merge_group.head_ref"),
    ]
    for fields, named in hostile:
        payload = example("merge_group")
        payload["merge_group"].update({"base_sha": sha, "head_sha": sha, **fields})
        with pytest.raises(UsageError) as raised:
            load_event(write_event(tmp_path, payload), "merge_group")
        said = str(raised.value)
        assert named in said and "\n" not in said and len(said) < 400, said
    payload = example("merge_group")
    payload["merge_group"].update(base_sha=sha, head_sha=sha, head_commit=5)
    group = load_event(write_event(tmp_path, payload), "merge_group").merge_group
    assert group is not None and (group.base_sha, group.head_sha) == (sha, sha)
