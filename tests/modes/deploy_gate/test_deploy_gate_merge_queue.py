"""deploy-gate in a merge queue: what the group would land is what it judges."""

from __future__ import annotations

from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import example, write_event
from tests.helpers.cli import run_cli

SOURCE = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(20))


def test_in_a_merge_queue_the_gate_judges_what_the_group_lands(tmp_path: Path) -> None:
    """A merge_group event (a real payload): the range is the queue's, its base to the group's
    commit, so ``fail-on`` stops a group the gate would hold before it lands. Before: no range
    from the event, and the gate judged the checkout's last commit alone."""
    repo = GitRepoBuilder(tmp_path / "shop")
    base = repo.commit("Start", {"src/shop.py": SOURCE})
    first = repo.commit("Queued first", {"src/shop.py": SOURCE + "A = 1\n"})
    head = repo.commit("Queued second", {"db/migrate/V2__drop.sql": "DROP TABLE orders;\n"})
    payload = example("merge_group")
    payload["merge_group"].update(base_sha=base, head_sha=head)  # type: ignore[union-attr]
    argv = ["deploy-gate", "--provider", "none", "--repo", str(repo.path), "--fail-on", "high"]
    argv += ["--event", str(write_event(tmp_path, payload)), "--event-name", "merge_group"]
    done = run_cli(argv, tmp_path, {"RUNNER_TEMP": "", "GITHUB_SHA": first})
    assert done.code == 1, done.stderr
    assert f"`{base[:12]}..{head[:12]}`, 2 file(s)" in done.summary
