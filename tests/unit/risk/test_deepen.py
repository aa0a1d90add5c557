"""A shallow clone is deepened only from the repository's own server, by SHA, with nothing of
the checkout's settings."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk.deepen import Origin, deepen_history
from tests.git_builder import GitRepoBuilder


def _shallow(tmp_path: Path) -> tuple[GitRepoBuilder, Path]:
    origin = GitRepoBuilder(tmp_path / "origin")
    for number in range(5):
        origin.commit(f"Change {number}", {"app.py": f"VALUE = {number}\n"})
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", f"file://{origin.path}", str(clone)],
        check=True,
        capture_output=True,
    )
    return origin, clone


def test_a_full_clone_is_not_fetched_into(tmp_path: Path) -> None:
    origin, _ = _shallow(tmp_path)
    repo = GitRepo.open(origin.path)
    assert not repo.is_shallow()
    assert not deepen_history(repo, Origin(f"file://{origin.path}"), [origin.head()], 0)


def test_a_shallow_clone_gets_the_named_commits_history(tmp_path: Path) -> None:
    origin, clone = _shallow(tmp_path)
    repo = GitRepo.open(clone)
    assert repo.run("rev-list", "--count", origin.head()).strip() == "1"
    assert deepen_history(repo, Origin(f"file://{origin.path}"), [origin.head(), None], 0)
    assert repo.run("rev-list", "--count", origin.head()).strip() == "5"


def test_only_shas_and_the_servers_transport_are_fetched(tmp_path: Path) -> None:
    """Attack: a ref name that reads as an option, and a transport that runs a program
    (``ext::``), fetch nothing."""
    origin, clone = _shallow(tmp_path)
    repo = GitRepo.open(clone)
    marker = tmp_path / "ran"
    assert not deepen_history(repo, Origin(f"file://{origin.path}"), ["--upload-pack=touch x"], 0)
    assert not repo.deepen(f"ext::sh -c touch% {marker}", [origin.head()], 0)
    assert not marker.exists()
    assert repo.run("rev-list", "--count", origin.head()).strip() == "1"


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL a clone is deepened from, the call still made for real."""
    urls: list[str] = []
    real = GitRepo.deepen

    def counting(self: GitRepo, url: str, *args: Any, **kwargs: Any) -> bool:
        urls.append(url)
        return real(self, url, *args, **kwargs)

    monkeypatch.setattr(GitRepo, "deepen", counting)
    return urls


def _second_clone(origin: GitRepoBuilder, tmp_path: Path) -> GitRepo:
    clone = tmp_path / "second"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", f"file://{origin.path}", str(clone)],
        check=True,
        capture_output=True,
    )
    return GitRepo.open(clone)


def test_a_second_run_deepens_from_the_cache_without_fetching(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin, clone = _shallow(tmp_path)
    server = Origin(f"file://{origin.path}")
    cache = tmp_path / "cache"
    fetched, tip = _counted(monkeypatch), origin.head()
    assert deepen_history(GitRepo.open(clone), server, [tip], 0, cache_dir=cache)
    assert fetched == [server.url]
    second = _second_clone(origin, tmp_path)
    shutil.rmtree(origin.path)  # the server is gone: only the cache can serve
    notes: list[str] = []
    assert deepen_history(second, server, [tip], 0, cache_dir=cache, notes=notes)
    assert fetched.count(server.url) == 1, fetched  # the second run fetched nothing
    assert second.run("rev-list", "--count", tip).strip() == "5"
    assert second.is_shallow() is False and notes == []


@pytest.mark.parametrize("damage", ["cut", "forged", "short"])
def test_a_cut_or_forged_history_cache_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """Attack: the cached history truncated; replaced by another repository's commits under
    the same name; or cut to the head commit alone. Each is set aside with a note and the
    history is fetched from the server again, whole."""
    origin, clone = _shallow(tmp_path)
    server = Origin(f"file://{origin.path}")
    cache = tmp_path / "cache"
    assert deepen_history(GitRepo.open(clone), server, [origin.head()], 0, cache_dir=cache)
    (kept,) = cache.glob("history-*")
    data = gzip.decompress(kept.read_bytes())
    head = data.partition(b"\n")[0]
    if damage == "cut":
        kept.write_bytes(kept.read_bytes()[: len(kept.read_bytes()) // 2])
    elif damage == "forged":
        other = GitRepoBuilder(tmp_path / "other")
        other.commit("Another project", {"evil.py": "x = 1\n"})
        forged = GitRepo.open(other.path).run_input_bytes(
            f"{other.head()}\n", "pack-objects", "--stdout", "--revs"
        )
        kept.write_bytes(gzip.compress(head + b"\n" + forged))
    else:
        meta = json.loads(head)
        meta["shallow"] = [origin.head()]
        only_head = GitRepo.open(origin.path).run_input_bytes(
            f"{origin.head()}\n^{origin.head()}~1\n", "pack-objects", "--stdout", "--revs"
        )
        kept.write_bytes(gzip.compress(json.dumps(meta).encode() + b"\n" + only_head))
    fetched = _counted(monkeypatch)
    second = _second_clone(origin, tmp_path)
    notes: list[str] = []
    assert deepen_history(second, server, [origin.head()], 0, cache_dir=cache, notes=notes)
    assert fetched[-1] == server.url  # fetched from the server, not served by the cache
    assert second.run("rev-list", "--count", origin.head()).strip() == "5"
    assert len(notes) == 1 and "set aside" in notes[0], notes


def test_a_history_that_cannot_be_kept_costs_the_cache_not_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git failing to pack what was fetched (a disk full, a damaged object) leaves the clone
    deepened and nothing cached."""
    origin, clone = _shallow(tmp_path)

    def fails(self: GitRepo, stdin: str, *args: str) -> bytes:
        raise UsageError(f"git {args[0]} failed in {self.path}.")

    monkeypatch.setattr(GitRepo, "run_input_bytes", fails)
    cache = tmp_path / "cache"
    assert deepen_history(
        GitRepo.open(clone), Origin(f"file://{origin.path}"), [origin.head()], 0, cache_dir=cache
    )
    assert not list(cache.glob("history-*"))


@pytest.mark.parametrize("years", [20, -20], ids=["ahead", "behind"])
def test_a_forged_head_date_fetches_the_same_history(tmp_path: Path, years: int) -> None:
    """Attack (time is the run's): the change's head commit, dated by its author
    twenty years ahead or behind, fetches no less of the base's past (ahead, it fetched none:
    the scorer fell back to its priors and the shallow floor)."""
    origin, _ = _shallow(tmp_path)
    now = origin.clock + 86_400
    origin.clock += int(years * 365.25 * 86_400)
    head = origin.commit("Forged date", {"app.py": "VALUE = 9\n"})
    clone = tmp_path / "forged"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{origin.path}", str(clone)],
                   check=True, capture_output=True)  # fmt: skip
    repo = GitRepo.open(clone)
    assert deepen_history(repo, Origin(f"file://{origin.path}"), [head], now)
    assert repo.run("rev-list", "--count", head).strip() == "6"


def test_a_dormant_repositorys_history_is_fetched_past_the_days_window(tmp_path: Path) -> None:
    """A new user's quick-error and xxhash: years quiet, then changed today. Deepened by days
    alone, the clone held today's commits and none of the files' past, so a change stacked on
    today's first commit lost its files' reverts and authors. The history then reaches at least
    the commits risk reads (:data:`~cicd_agent.risk.checkout.WINDOW_COMMITS`)."""
    origin = GitRepoBuilder(tmp_path / "origin")
    origin.clock = 1_550_000_000  # 2019
    for number in range(30):
        origin.commit(f"Change {number}", {"app.py": f"VALUE = {number}\n"})
    origin.clock = 1_790_000_000  # 2026, after six quiet years
    for number in range(2):
        origin.commit(f"Today {number}", {"app.py": f"TODAY = {number}\n"})
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", f"file://{origin.path}", str(clone)],
        check=True,
        capture_output=True,
    )
    repo = GitRepo.open(clone)
    head = origin.head()
    assert deepen_history(repo, Origin(f"file://{origin.path}"), [head], 1_790_010_000, past=[head])
    assert repo.run("rev-list", "--count", head).strip() == "32"
