"""A repository quiet for years, then changed again (quick-error, xxhash: last commits in 2023 and
2024): the touched files' past is read back past the two years before the base, so a change
stacked on today's first commit is not scored without it. A new user found the 86 lines after a
one-line commit scored 0.14 against that line's 0.15: the stacked change's base was dated today,
and the two years before it held none of the file's history (its revert, its three authors)."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.local.change_set import read_change_set
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk.checkout import read_history
from tests.git_builder import GitRepoBuilder

ANA, BO, CY = "Ana <ana@example.com>", "Bo <bo@example.com>", "Cy <cy@example.com>"
YEARS = 3 * 365 * 86_400


def test_a_change_after_years_of_quiet_reads_the_files_past(tmp_path: Path) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.commit("Add lib", {"src/lib.rs": "pub fn a() {}\n"}, author=ANA)
    bad = builder.commit("Rewrite a", {"src/lib.rs": "pub fn a() { todo!() }\n"}, author=BO)
    builder.commit(f'Revert "Rewrite a"\n\nThis reverts commit {bad}.',
                   {"src/lib.rs": "pub fn a() {}\n"}, author=CY)  # fmt: skip
    builder.clock += YEARS  # quiet, then a one-line fix today
    one = builder.commit("One line", {"src/lib.rs": "pub fn a() {}\npub fn b() {}\n"}, author=ANA)
    more = "".join(f"pub fn c{n}() {{}}\n" for n in range(86))
    stacked = builder.commit("More", {"src/lib.rs": "pub fn a() {}\npub fn b() {}\n" + more},
                             author=ANA)  # fmt: skip
    repo = GitRepo.open(builder.path)
    first = read_history(repo, read_change_set(repo, one, f"{one}~1"), now=repo.commit_time(one))
    later = read_history(repo, read_change_set(repo, stacked, one), now=repo.commit_time(stacked))
    assert (first.past_reverts, first.developers) == (1, 3)
    # the stacked change's own base (today's commit) adds itself to the file's past
    assert (later.past_reverts, later.developers) == (1, 3), later
