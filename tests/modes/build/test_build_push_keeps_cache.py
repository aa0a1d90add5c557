"""A push's trusted base fills the kept cache for the next job, run as its own process as a
workflow's next job is: a push of two commits too, whose ``before`` is not the head's parent.
Before: the base built was the head's parent, not the ``before`` GitHub vouches for, so it went
into the run's own storage (removed when the process ended), the kept one stayed empty, and the
next push's base ran its dependency step again. The step writes random bytes: had it run
again, its file would differ."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.buildah import needs_buildah
from tests.modes.build.test_build_base_trust import event_file, sha
from tests.modes.build.test_build_skips_work import app_repo, commit_app, deps


def pushed(repo: Path, tmp_path: Path, cache: Path, before: str, name: str) -> dict[str, object]:
    """``cicd-agent build`` for a push of ``before..HEAD`` in a process of its own, with a
    runner temp folder of its own (a new job)."""
    event = event_file(
        tmp_path, name,
        {"ref": "refs/heads/main", "before": sha(repo, before), "after": sha(repo, "main"),
         "commits": []},
    )  # fmt: skip
    event = {**event, "GITHUB_EVENT_NAME": "push"}
    temp = tmp_path / f"runner-temp-{name}"
    temp.mkdir()
    # main() itself: the console script starts again isolated (-I), from the installed copy
    argv = [sys.executable, "-c", "import sys; from cicd_agent.cli import main; "
            "sys.exit(main(sys.argv[1:]))", "build", "--repo", str(repo), "--builder",
            "buildah", "--advice", "off", "--vuln-db", "none", "--json", "--cache-dir",
            str(cache)]  # fmt: skip
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
           "RUNNER_TEMP": str(temp), **event}  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, object] = json.loads(done.stdout)
    return report


@needs_buildah
def test_a_push_of_two_commits_fills_the_kept_cache_the_next_jobs_push_reads(
    tmp_path: Path,
) -> None:
    repo = app_repo(tmp_path, 3)
    cache = tmp_path / "cache"
    pushed(repo, tmp_path, cache, "main~2", "push-1")  # two commits: before is main~2
    written = deps(cache / "base-image")
    assert written is not None and len(written) == 2 * 1024 * 1024
    commit_app(repo, 4)  # the next push, another job: a new process, the same cache folder
    second = pushed(repo, tmp_path, cache, "main~1", "push-2")
    rows = {row["line"]: row for row in second["instructions"]}  # type: ignore[attr-defined]
    assert [line for line, row in rows.items() if not row["cached"]] == [6]
    # the first job's base wrote these bytes; the second job's base took its step from the cache
    assert deps(cache / "base-image") == written
