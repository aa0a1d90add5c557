"""A shallow clone of a repository years quiet is fetched a thousand commits past its two years'
cut, and a change's own history is cut wherever its author dated it before those two years: a
head merging many old-dated branches would fetch a thousand commits down each of them."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk.checkout import WINDOW_COMMITS
from cicd_agent.risk.deepen import Origin, deepen_history

NOW = 1_790_200_000
OLD = 1_000_000_000  # 2001: every side branch's commits, long before the two years
QUIET = 1_550_000_000  # 2019: the base's past before its two commits today


def _history(branches: int, length: int) -> str:
    """git fast-import's stream: a base of thirty commits in 2019 and two today, ``branches``
    branches of ``length`` commits each dated in 2001, and a head merging the base and each."""
    out: list[str] = []
    marks = 0

    def commit(ref: str, when: int, parents: list[int], text: str) -> int:
        nonlocal marks
        marks += 1
        merged = "".join(f"merge :{p}\n" for p in parents[1:])
        first = f"from :{parents[0]}\n" if parents else ""
        out.append(f"commit {ref}\nmark :{marks}\ncommitter A <a@example.com> {when} +0000\n"
                   f"data 1\nc\n{first}{merged}M 644 inline f{marks % 5}.py\n"
                   f"data {len(text)}\n{text}\n")  # fmt: skip
        return marks

    base: list[int] = []
    for number in range(32):
        when = QUIET + number * 60 if number < 30 else NOW - 86_400 + number * 60
        base = [commit("refs/heads/main", when, base, f"V = {number}")]
    tips = []
    for branch in range(branches):
        tip: list[int] = []
        for number in range(length):
            tip = [commit(f"refs/heads/old{branch}", OLD + number * 60, tip, f"{branch}.{number}")]
        tips += tip
    commit("refs/heads/pr", NOW - 60, [*base, *tips], "H = 1")
    return "".join(out) + "done\n"


def test_attack_a_head_merging_many_old_dated_branches_fetches_a_bounded_history(
    tmp_path: Path,
) -> None:
    """The base's whole past is fetched, as for any repository years quiet; the head's branches
    are not fetched past their cut (before: 12 branches of 1,100 commits fetched 12,000 more,
    a thousand down each, as many thousands as the head merges branches)."""
    origin = tmp_path / "origin"
    subprocess.run(["git", "init", "-q", str(origin)], check=True)
    subprocess.run(["git", "-C", str(origin), "fast-import", "--quiet", "--done"],
                   input=_history(12, 1_100).encode(), check=True)  # fmt: skip
    base, head = (
        subprocess.run(["git", "-C", str(origin), "rev-parse", ref], capture_output=True,
                       text=True, check=True).stdout.strip()
        for ref in ("main", "pr")
    )  # fmt: skip
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth=1", "--branch=pr", f"file://{origin}",
                    str(clone)], check=True, capture_output=True)  # fmt: skip
    repo = GitRepo.open(clone)
    assert deepen_history(repo, Origin(f"file://{origin}"), [base, head], NOW, past=[base])
    assert repo.run("rev-list", "--count", base).strip() == "32"  # the base's past, whole
    held = repo.run("rev-list", "--count", "--all", base, head).strip()
    assert int(held) < 32 + 12 + WINDOW_COMMITS // 10, held
