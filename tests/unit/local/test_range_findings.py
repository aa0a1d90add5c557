"""The secret and workflow findings of a commit range read from a real repository: only the
security findings count for a deployment, and the diff read is bounded at a line boundary."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.local.range_findings import security_findings
from tests.git_builder import GitRepoBuilder

TOKEN = "ghp_" + "Zq8RtL3vXk9PmW2nB7yC4hDf6JsA1eGu5Ko0"


def test_a_secret_in_the_range_is_found_and_hygiene_findings_are_left_out(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("Initial", {"app.py": "VALUE = 1\n"})
    head = repo.commit("Change", {"app.py": f"VALUE = 2\nbreakpoint()\nTOKEN = '{TOKEN}'\n"})
    found = security_findings(repo.path, base, head)
    assert [(f.rule, f.path, f.line) for f in found] == [("secret", "app.py", 3)]
    assert security_findings(repo.path, head, head) == []


def test_a_diff_past_the_bound_is_cut_at_a_line_and_what_follows_is_not_read(
    tmp_path: Path,
) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("Initial", {"a.py": "A = 1\n"})
    filler = "".join(f"LINE_{n} = {n}\n" for n in range(200))
    head = repo.commit("Change", {"a.py": filler, "z.py": f"TOKEN = '{TOKEN}'\n"})
    assert [f.path for f in security_findings(repo.path, base, head)] == ["z.py"]
    assert security_findings(repo.path, base, head, max_bytes=2000) == []
