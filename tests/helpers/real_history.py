"""Rebuild a real repository's history shape as a git repository, for the risk tests.

``tests/fixtures/risk/*.json.gz`` hold what ``research/risk/export_history.py`` exported from a public
repository (named in the file's ``source``): per commit, the author as a pseudonym, the time,
the subject and each file's path, status and lines added and deleted. :func:`build` replays it
through ``git fast-import`` with made-up lines of the same counts, so deploy-gate mines, labels
and fits a real project's pattern of sizes, authors, files and reverts, in about a second.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "risk"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(gzip.decompress((FIXTURES / name).read_bytes()))
    return data


def build(path: Path, name: str) -> str:
    """A repository at ``path`` with the history of fixture ``name``; returns its HEAD."""
    commits = load(name)["commits"]
    path.mkdir(parents=True)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    lines: dict[str, list[str]] = {}
    counter = 0
    chunks: list[bytes] = []
    for number, commit in enumerate(commits):
        subject = commit["subject"]
        if commit["reverts"] is not None:
            subject = f'Revert "{commits[commit["reverts"]]["subject"]}"'
        who = f"author-{commit['author']} <author-{commit['author']}@example.org>"
        message = subject.encode() + b"\n"
        chunks.append(
            b"commit refs/heads/main\n"
            + f"mark :{number + 1}\n".encode()
            + f"author {who} {commit['time']} +0000\n".encode()
            + f"committer {who} {commit['time']} +0000\n".encode()
            + f"data {len(message)}\n".encode()
            + message
        )
        for file_path, status, added, deleted in commit["files"]:
            if status == "D":
                lines.pop(file_path, None)
                chunks.append(f"D {file_path}\n".encode())
                continue
            body = lines.setdefault(file_path, [])
            del body[: min(deleted, len(body))]
            for _ in range(added):
                counter += 1
                body.append(f"line {counter}\n")
            content = "".join(body).encode()
            chunks.append(
                f"M 100644 inline {file_path}\ndata {len(content)}\n".encode() + content + b"\n"
            )
        chunks.append(b"\n")
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"],
        input=b"".join(chunks),
        check=True,
        env=env,
    )
    subprocess.run(["git", "-C", str(path), "reset", "-q", "--hard", "main"], check=True, env=env)
    head = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return head.stdout.strip()
