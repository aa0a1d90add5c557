"""The revert-history features of the fitted risk model, on a real git history:
what a reviewer would check by hand in ``git log``, and that a cached state extended by new
commits means the same as replaying the whole past."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import jit, mining, records
from cicd_agent.risk.jit import reverted
from tests.git_builder import GitRepoBuilder

ANA = "Ana <ana@example.com>"
BO = "Bo <bo@example.com>"
CY = "Cy <cy@example.com>"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> list[records.MinedCommit]:
    repo = GitRepoBuilder(tmp_path_factory.mktemp("revert-history"))
    repo.commit("Add app", {"app.py": "x = 1\n", "util.py": "y = 1\n"}, author=ANA)
    for index in range(4):
        repo.commit(f"Tweak util {index}", {"util.py": f"y = {index}\n"}, author=BO)
    bad = repo.commit("Rewrite app", {"app.py": "x = 2\n"}, author=CY)
    repo.commit(
        f'Revert "Rewrite app"\n\nThis reverts commit {bad}.', {"app.py": "x = 1\n"}, author=ANA
    )
    repo.commit("Speed up util", {"util.py": "y = 9\n"}, author=CY)
    repo.commit('Revert "Speed up util"', {"util.py": "y = 3\n"}, author=BO)  # by subject
    repo.commit("Touch app again", {"app.py": "x = 3\n"}, author=BO)
    return mining.mine(GitRepo.open(repo.path), "HEAD")


def rows_by_subject(commits: list[records.MinedCommit]) -> dict[str, dict[str, float]]:
    rows, _ = jit.replay(commits)
    return {
        c.subject: dict(zip(jit.FEATURES, row, strict=True))
        for c, row in zip(commits, rows, strict=True)
    }


def test_both_ways_of_naming_the_reverted_commit_label_it(
    history: list[records.MinedCommit],
) -> None:
    assert reverted(history) == {
        c.sha for c in history if c.subject in ("Rewrite app", "Speed up util")
    }


def test_the_authors_reverted_share_counts_only_reverts_already_made(
    history: list[records.MinedCommit],
) -> None:
    rows = rows_by_subject(history)
    # Cy's first commit was reverted only after Cy's second was written: 1 of 1 (+5 smoothing).
    assert rows["Speed up util"]["author_reverted_share"] == pytest.approx(1 / 6)
    assert rows["Rewrite app"]["author_reverted_share"] == 0.0
    assert rows["Touch app again"]["author_reverted_share"] == 0.0  # Bo was never reverted


def test_days_since_the_last_revert_start_at_never_and_count_from_the_latest(
    history: list[records.MinedCommit],
) -> None:
    rows = rows_by_subject(history)
    assert rows["Rewrite app"]["days_since_revert"] == jit.NO_REVERT_YET
    # The builder spaces commits one hour apart.
    assert rows["Touch app again"]["days_since_revert"] == pytest.approx(math.log1p(1 / 24))


def test_an_author_new_to_a_touched_file_is_marked(history: list[records.MinedCommit]) -> None:
    rows = rows_by_subject(history)
    assert rows["Rewrite app"]["new_to_file"] == 1.0  # Cy had never touched app.py
    assert rows["Tweak util 1"]["new_to_file"] == 0.0  # Bo wrote util.py the commit before
    assert rows["Add app"]["new_to_file"] == 0.0  # new files have no past authors


@pytest.mark.parametrize("cut", [1, 5, 6, 7, 8])
def test_a_cached_state_extended_by_newer_commits_equals_a_full_replay(
    history: list[records.MinedCommit], cut: int
) -> None:
    _, whole = jit.replay(history)
    _, part = jit.replay(history[:cut])
    restored = jit.Replay.from_json(json.loads(json.dumps(part.to_json())))
    for commit in history[cut:]:
        restored.add(commit)
    assert restored.to_json() == whole.to_json()


@pytest.fixture(scope="module")
def undone(tmp_path_factory: pytest.TempPathFactory) -> list[records.MinedCommit]:
    repo = GitRepoBuilder(tmp_path_factory.mktemp("undone"))
    repo.commit("Add app", {"app.py": "x = 1\n"}, author=ANA)
    repo.commit("Add a cache", {"app.py": "x = 1\ncache = {}\nsize = 9\n"}, author=BO)
    repo.commit("Tidy up", {"app.py": "x = 1\n"}, author=CY)  # undoes it, says nothing
    repo.commit('Revert "Add app"', {"app.py": "x = 1\ny = 2\n"}, author=ANA)  # says, doesn't
    repo.commit("Bump x", {"app.py": "x = 3\ny = 2\n"}, author=ANA)
    repo.commit("Bump x back", {"app.py": "x = 1\ny = 2\n"}, author=ANA)
    return mining.mine(GitRepo.open(repo.path), "HEAD")


def test_a_revert_is_what_undoes_a_past_commit_line_for_line_whatever_the_message_says(
    undone: list[records.MinedCommit],
) -> None:
    rows = rows_by_subject(undone)
    assert rows["Tidy up"]["revert"] == 1.0
    assert rows['Revert "Add app"']["revert"] == 0.0  # the title is text anyone writes
    assert rows["Add a cache"]["revert"] == 0.0
    # As many lines added as deleted in every file (a version bump) matches every other such
    # change by its counts: no change counts as undoing one of those.
    assert rows["Bump x back"]["revert"] == 0.0
    _, state = jit.replay(undone[:2])
    assert state.undoes(undone[2].files) and not state.undoes(undone[1].files)


def test_a_squash_merge_quoting_a_reverted_commit_of_its_branch_is_no_revert(
    tmp_path: Path,
) -> None:
    repo = GitRepoBuilder(tmp_path)
    repo.commit("Add app", {"app.py": "x = 1\n"}, author=ANA)
    repo.commit(
        'Add retries (#40)\n\n* Try a cache\n\n* Revert "Try a cache"\n\n'
        "This reverts commit 0123abc4567def.",
        {"retry.py": "tries = 3\n"},
        author=BO,
    )
    repo.commit("Touch app", {"app.py": "x = 2\n", "retry.py": "tries = 4\n"}, author=ANA)
    rows = rows_by_subject(mining.mine(GitRepo.open(repo.path), "HEAD"))
    assert rows["Add retries (#40)"]["revert"] == 0.0
    assert rows["Touch app"]["past_reverts"] == 0.0  # retry.py's past holds no revert
    assert rows["Touch app"]["days_since_revert"] == jit.NO_REVERT_YET


def test_scored_rows_and_training_rows_have_the_same_columns() -> None:
    _, state = jit.replay([])
    row = state.row((), ("a@example.com",), 0, fix=False, revert=True)
    assert len(row) == len(jit.FEATURES)


def test_squash_merged_reverts_find_their_target_with_or_without_the_pull_number(
    tmp_path: Path,
) -> None:
    # GitHub's revert of a squash-merged pull request, merged in turn by squash, is titled
    # ``Revert "Add cache (#12)" (#15)``, often with no ``This reverts commit`` line left.
    repo = GitRepoBuilder(tmp_path)
    repo.commit("Add cache (#12)", {"cache.py": "on = True\n"}, author=ANA)
    repo.commit("Fix typo (#13)", {"README": "cache\n"}, author=BO)
    repo.commit('Revert "Add cache (#12)" (#15)', {"cache.py": "on = False\n"}, author=BO)
    repo.commit("Add retry (#20)", {"retry.py": "tries = 3\n"}, author=CY)
    repo.commit('Revert "Add retry"', {"retry.py": "tries = 1\n"}, author=ANA)
    history = mining.mine(GitRepo.open(repo.path), "HEAD")
    assert {c.subject for c in history if c.sha in reverted(history)} == {
        "Add cache (#12)",
        "Add retry (#20)",
    }


def _merge(repo: GitRepoBuilder, *args: str) -> str:
    """``git merge ARGS`` at the builder's next hour (a merge commit, even where a fast-forward
    would do)."""
    repo.clock += 3600
    stamp = f"{repo.clock} +0000"
    repo.git(
        "merge", "-q", "--no-ff", *args, env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    )
    return repo.head()


def _on_branch(
    repo: GitRepoBuilder, name: str, *commits: tuple[str, dict[str, str | bytes]]
) -> None:
    """Bo's ``commits`` on a new branch ``name`` off main; main is checked out again after."""
    repo.git("checkout", "-q", "-b", name)
    for subject, files in commits:
        repo.commit(subject, files, author=BO)
    repo.git("checkout", "-q", "main")


def test_reverting_a_merged_pull_request_labels_every_commit_it_brought_in(
    tmp_path: Path,
) -> None:
    # ``git revert -m 1 <merge>`` names only the merge, which the miner never reads (merges
    # carry no change of their own): the pull request's commits are what it undoes.
    repo = GitRepoBuilder(tmp_path)
    repo.commit("Add app", {"app.py": "x = 1\n"}, author=ANA)
    _on_branch(
        repo,
        "cache",
        ("Add cache", {"cache.py": "on = True\n"}),
        ("Tune cache", {"cache.py": "on = 1\n"}),
    )
    repo.commit("Touch docs", {"README": "app\n"}, author=ANA)
    merge = _merge(repo, "cache", "-m", "Merge pull request #7 from bo/cache")
    repo.commit(
        f'Revert "Merge pull request #7 from bo/cache"\n\nThis reverts commit {merge}, '
        "reversing\nchanges made to 1234567.",
        {"cache.py": ""},
        author=CY,
    )
    history = mining.mine(GitRepo.open(repo.path), "HEAD")
    assert {c.subject for c in history if c.sha in reverted(history)} == {
        "Add cache",
        "Tune cache",
    }
    rows = rows_by_subject(history)
    assert rows['Revert "Merge pull request #7 from bo/cache"']["revert"] == 1.0


def test_a_quoted_revert_of_a_merge_outside_the_commits_past_labels_nothing(
    tmp_path: Path,
) -> None:
    # A squash merge's body may quote a revert made inside its pull request of a merge of main
    # into the branch: that merge is not in the squash commit's past, and the main-line commits
    # it brought into the branch were never reverted.
    repo = GitRepoBuilder(tmp_path)
    repo.commit("Add app", {"app.py": "x = 1\n"}, author=ANA)
    _on_branch(repo, "retries", ("Try retries", {"retry.py": "tries = 3\n"}))
    repo.commit("Main-line work", {"app.py": "x = 2\n"}, author=ANA)
    repo.git("checkout", "-q", "retries")
    inner = _merge(repo, "main", "-m", "Merge branch 'main' into retries")
    repo.git("checkout", "-q", "main")
    repo.commit(
        f"Add retries (#40)\n\n* Revert \"Merge branch 'main' into retries\"\n\n"
        f"This reverts commit {inner}.",
        {"retry.py": "tries = 3\n"},
        author=BO,
    )
    history = mining.mine(GitRepo.open(repo.path), "HEAD")
    assert reverted(history) == set()
    assert rows_by_subject(history)["Add retries (#40)"]["revert"] == 0.0


def test_a_run_drops_its_repositorys_history_caches_of_other_versions(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("Add app", {"app.py": "x = 1\n"}, author=ANA)
    cache = tmp_path / "cache"
    mining.mine(GitRepo.open(repo.path), "HEAD", cache)
    (current,) = cache.glob("risk-history-v*")
    key = current.name.split("-", 3)[3]
    old = cache / f"risk-history-v1-{key}"
    other_repository = cache / "risk-history-v1-0123456789abcdef.jsonl.gz"
    for stale in (old, other_repository):
        stale.write_bytes(current.read_bytes())
    repo.commit("Touch app", {"app.py": "x = 2\n"}, author=BO)
    mining.mine(GitRepo.open(repo.path), "HEAD", cache)
    assert sorted(p.name for p in cache.iterdir()) == sorted([current.name, other_repository.name])


def test_a_history_naming_merges_without_end_walks_only_a_bounded_number_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every named merge costs git two walks; a history whose messages name merges by the
    # thousand must not stall the mining. Past the bound, a named merge labels nothing.
    monkeypatch.setattr(mining, "MAX_MERGE_WALKS", 2)
    repo = GitRepoBuilder(tmp_path)
    repo.commit("Add app", {"app.py": "x = 1\n"}, author=ANA)
    merges = []
    for index in range(3):
        _on_branch(repo, f"topic{index}", (f"Topic {index}", {f"t{index}.py": "x = 1\n"}))
        merges.append(_merge(repo, f"topic{index}", "-m", f"Merge topic {index}"))
    for index, merge in enumerate(merges):
        repo.commit(f"Back out topic {index}\n\nThis reverts commit {merge}.", {}, author=CY)
    walks: list[str] = []
    run_partial = GitRepo.run_partial

    def counted(self: GitRepo, stdin: str, *args: str) -> tuple[str, bool]:
        if args[0] in ("merge-base", "rev-list"):
            walks.append(args[0])
        return run_partial(self, stdin, *args)

    monkeypatch.setattr(GitRepo, "run_partial", counted)
    history = mining.mine(GitRepo.open(repo.path), "HEAD")
    assert len(walks) == 4  # two merges, an ancestry check and a walk each
    labelled = {c.subject for c in history if c.sha in reverted(history)}
    assert len(labelled) == 2 and labelled < {"Topic 0", "Topic 1", "Topic 2"}
