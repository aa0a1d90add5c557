"""Builds each repository's virtualenv for ``detect.py`` before the run (network: PyPI only).

Usage: ``.venv/bin/python research/flaky/prepare.py --mirrors MIRRORS --data DATA [REPO...]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from research.flaky.projects import PROJECTS  # noqa: E402
from research.gen_tests import flaky_detect as first  # noqa: E402

first.PROJECTS.update(PROJECTS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="*")
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    for repo in args.repos or PROJECTS:
        try:
            first.venv_for(repo, args.data, args.mirrors / first.slug(repo) / "repo")
            print(f"{repo}: ready", file=sys.stderr, flush=True)
        except subprocess.CalledProcessError as exc:
            print(f"{repo}: FAILED {exc}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
