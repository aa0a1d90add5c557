"""A review that talks to no GitHub API does not import the GitHub client, and a review that
publishes its own result does not load the fork hand-off's phase.

PyGithub with requests, urllib3, jwt and cryptography are a large share of reviewing even a
big change offline (tests/project/test_mode_imports.py holds the measures). Review imports them
where it reads or posts on GitHub, so a run with ``--provider none`` and no token, and a run
outside a pull request, do not pay for them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.git_builder import GitRepoBuilder

_RUN = """
import json, sys
from cicd_agent.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = ("github", "requests", "urllib3", "jwt", "cryptography", "openai")
handoff = [  # the fork hand-off's phase, and the result file only its two steps read or write
    name for name in sys.modules if name.startswith("cicd_agent.modes.review.handoff")
]
print(json.dumps(sorted([*(name for name in heavy if name in sys.modules), *handoff])), file=sys.stderr)
"""


def test_offline_review_imports_no_github_client(tmp_path: Path) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit("base", {"app/service.py": "def handler(order):\n    return order\n"})
    head = builder.commit(
        "change", {"app/service.py": "def handler(order):\n    return order or None\n"}
    )
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GITHUB_", "INPUT_", "RUNNER_"))
    }
    done = subprocess.run(
        [sys.executable, "-c", _RUN, "review", "--provider", "none", "--repo", str(builder.path),
         "--base", base, "--head", head, "--json"],
        capture_output=True, text=True, env=environ, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["mode"] == "review" and result["files_changed"] == 1
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []
