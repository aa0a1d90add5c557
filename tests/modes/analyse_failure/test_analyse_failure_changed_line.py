"""A compiler names its own line, not the changed one: go's build error at ``version.go:199``
for a change at line 197 was shown "`version.go:199` (changed)", which reads as if line 199
were the change's. The file is the change's; the line is not."""

from __future__ import annotations

from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli

BASE = "package version\n\n" + "".join(f"var v{n} = {n}\n" for n in range(3, 240))
GO_BUILD = """\
2026-11-27T10:00:00.0000000Z ##[group]Run go test ./...
2026-11-27T10:00:00.0000000Z go test ./...
2026-11-27T10:00:00.0000000Z ##[endgroup]
2026-11-27T10:00:03.0000000Z # github.com/hashicorp/go-version [github.com/hashicorp/go-version.test]
2026-11-27T10:00:03.0000000Z ./version.go:199:9: undefined: segmentz
2026-11-27T10:00:03.0000000Z FAIL	github.com/hashicorp/go-version [build failed]
2026-11-27T10:00:03.0000000Z ##[error]Process completed with exit code 1.
"""


def test_a_compilers_line_in_a_changed_file_is_not_called_changed(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"version.go": BASE})
    lines = BASE.splitlines(keepends=True)
    lines[196] = "var v199 = segmentz(1)\n"  # line 197 of the file
    head = repo.commit("use segmentz", {"version.go": "".join(lines)})
    log = tmp_path / "job.txt"
    log.write_text(GO_BUILD, encoding="utf-8")
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(log), "--repo",
                    str(repo.path), "--base", base, "--head", head], tmp_path,
                   {"PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.code == 0, done.stderr
    assert "`version.go:199` (in a changed file)" in done.summary, done.summary
    assert "`version.go:199` (changed)" not in done.summary
