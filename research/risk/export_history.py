"""Export the shape of a real repository's history for the risk tests to rebuild.

Usage: ``python research/risk/export_history.py BARE_REPO OUT.json.gz [--max N]``. Writes, for the last
``N`` non-merge commits of HEAD (oldest first), what deploy-gate's risk reads: the author (as a
pseudonym: ``author-K``, K by first appearance), the time, the subject (a revert's names the
commit it reverts by index, so the label survives the rebuild) and each file's path, status
and lines added and deleted. ``tests/helpers/real_history.py`` rebuilds a git repository with
the same shape (file contents are made-up lines). No file content and no e-mail leaves the
repository.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
from pathlib import Path

_REVERTS = re.compile(r"This reverts commit ([0-9a-f]{7,40})")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def export(repo: Path, limit: int) -> dict[str, object]:
    shas = git(repo, "rev-list", "--no-merges", "--reverse", "--topo-order", "HEAD").split()
    shas = shas[-limit:]
    index = {sha: i for i, sha in enumerate(shas)}
    authors: dict[str, int] = {}
    commits = []
    for sha in shas:
        meta = git(repo, "show", "-s", "--format=%ae%x00%at%x00%s%x00%b", sha).split("\0")
        email, when, subject, body = meta[0], int(meta[1]), meta[2], meta[3]
        author = authors.setdefault(email.lower(), len(authors))
        named = _REVERTS.findall(body)
        target = next((i for full, i in index.items() for s in named if full.startswith(s)), None)
        files = []
        numstat = git(repo, "show", "--format=", "--numstat", "--no-renames", sha).splitlines()
        status = dict(
            reversed(line.split("\t", 1))
            for line in git(
                repo, "show", "--format=", "--name-status", "--no-renames", sha
            ).splitlines()
            if "\t" in line
        )
        for line in numstat:
            added, deleted, path = line.split("\t", 2)
            if added == "-":
                continue  # binary: no line counts to rebuild
            files.append([path, status.get(path, "M")[0], int(added), int(deleted)])
        commits.append(
            {
                "author": author,
                "time": when,
                "subject": subject[:100],
                "reverts": target,
                "files": files,
            }
        )
    return {"source": "", "commits": commits}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("repo", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--max", type=int, default=1200)
    parser.add_argument("--source", required=True, help="owner/name and commit, for provenance")
    args = parser.parse_args()
    data = export(args.repo, args.max)
    data["source"] = args.source
    args.out.write_bytes(gzip.compress(json.dumps(data, separators=(",", ":")).encode(), 9))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
