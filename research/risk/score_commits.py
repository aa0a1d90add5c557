"""deploy-gate's level for single commits of local clones, as ``common_sense.score`` gives it.

    python -m research.risk.score_commits CLONE@COMMIT...

Each commit is scored against its first parent, offline, with git's author text (no token):
the level, score, approval, strategy and canary share, then the first reasons.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from research.risk import common_sense


def main(specs: list[str]) -> None:
    with tempfile.TemporaryDirectory() as cache:
        for spec in specs:
            repo, _, commit = spec.rpartition("@")
            row = common_sense.score(Path(repo), f"{commit}~1", commit, Path(cache))
            approval = "approval" if row["approval"] else "-"
            print(spec, row["level"], row["score"], approval, row["strategy"], row["canary"])
            for message in row["reasons"]:
                print("    ", message)


if __name__ == "__main__":
    main(sys.argv[1:])
