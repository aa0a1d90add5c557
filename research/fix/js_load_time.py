"""How often the JS/TS load-time rule (:mod:`cicd_agent.runners.js.load_time`) refuses real
fixes: for each repository given (a bare git directory), up to ``--per-repo`` commits whose
message says "fix", each non-test JavaScript or TypeScript file they change is judged as a
patch from its parent. A refusal here is a real fix a review or the fix judge would leave
unchecked.

    python -m research.fix.js_load_time GIT_DIR... [--per-repo 40]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

from cicd_agent.runners.js.load_time import SUFFIXES, load_time_problem

_TEST = re.compile(r"(^|/)(tests?|__tests__|spec|test-d|bench|benchmarks?)/|\.(test|spec)\.")


def _git(repo: str, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={repo}", *args], capture_output=True, text=True,
                          check=False).stdout  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("repos", nargs="+")
    parser.add_argument("--per-repo", type=int, default=40)
    args = parser.parse_args(argv)
    commits = refused_commits = files = refused_files = 0
    for repo in args.repos:
        for commit in _git(repo, "log", "-i", "--grep=fix", "--no-merges", "--format=%H",
                           f"-{args.per_repo}").split():  # fmt: skip
            paths = [p for p in _git(repo, "diff-tree", "--no-commit-id", "-r", "--name-only",
                                     "--diff-filter=M", commit).split()  # fmt: skip
                     if p.endswith(SUFFIXES) and not _TEST.search(p) and ".min." not in p]
            if not paths:
                continue
            commits += 1
            said = ""
            for path in paths:
                before = _git(repo, "show", f"{commit}^:{path}")
                after = _git(repo, "show", f"{commit}:{path}")
                files += 1
                why = load_time_problem(path, before, after)
                refused_files += bool(why)
                said = said or (why and f"{path}: {why[:90]}")
            refused_commits += bool(said)
            if said:
                print(f"{repo.rstrip('/').rsplit('/', 2)[-2]} {commit[:10]} {said}")
    print(f"fix commits {commits}, refused {refused_commits} ({refused_commits / max(commits, 1):.0%});"
          f" files {files}, refused {refused_files}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
