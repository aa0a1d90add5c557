"""The past commits read from git for risk's learning (:class:`MinedCommit`), cached per commit in a
JSON-lines file so a run reads only the commits the cache has not seen.

Not PyDriller: it builds a GitPython ``Commit`` and a diff per commit, over a first fit's budget
on a long history; two ``git log`` streams read the same facts several times faster
(``BENCHMARKS.md``). Only commits reachable from the given tip are read, so later commits never
leak into a score. A missing object costs that commit its line counts, a damaged cache a note and
a re-read."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from cicd_agent.actions.progress import Progress
from cicd_agent.analysis.changes import ChangedFile, parse_raw_numstat
from cicd_agent.local import cachefile
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk.records import CACHE_VERSION, MinedCommit, is_fix, named_reverts

MAX_COMMITS = 20_000
"""Most past commits read (newest first); older history adds little and costs time."""
BATCH = 2_000
"""Commits per ``git log --stdin`` call."""
MAX_MERGED = 200
"""Most commits one reverted merge labels (a revert of a long-lived branch's merge says
little about any one of its commits)."""
MAX_MERGE_WALKS = 100
"""Most named merges walked per batch of :data:`BATCH` commits (two git calls each): real
histories name a few in all (readthedocs, the most of 110 fetched ones: 16), and messages
that name merges by the thousand must not stall the mining. Past it, a named merge labels
nothing."""


def ancestors(repo: GitRepo, tip: str) -> list[str]:
    """Non-merge commits reachable from ``tip`` (``tip`` included), newest first, at most
    :data:`MAX_COMMITS`: the only history a score of a change based on ``tip`` may use."""
    output = repo.run("rev-list", "--no-merges", f"--max-count={MAX_COMMITS}", tip)
    return output.split()


def mine(
    repo: GitRepo,
    tip: str,
    cache_dir: Path | None = None,
    *,
    notes: list[str] | None = None,
    progress: Progress | None = None,
) -> list[MinedCommit]:
    """The past commits reachable from ``tip``, oldest first, reading git only for commits
    the cache (if any) does not already hold, and writing those back. A damaged cache file is
    set aside and rebuilt, with a note in ``notes``; ``progress`` hears how many commits it
    has read."""
    shas = ancestors(repo, tip)
    cache_file = _cache_file(repo, cache_dir) if cache_dir else None
    cached = _load(cache_file) if cache_file else _Cached({}, b"", "")
    known = cached.commits
    missing = [sha for sha in shas if sha not in known]
    if progress is not None:
        progress.say(
            f"{len(shas):,} past commits, {len(shas) - len(missing):,} of them cached; "
            f"reading {len(missing):,} from git"
        )
    fresh = []
    for commit in read_commits(repo, missing):
        fresh.append(commit)
        if progress is not None:
            progress.count("past commits read", len(fresh), len(missing))
    if cache_file and cached.damage:
        if notes is not None:
            notes.append(cachefile.set_aside(cache_file, cached.damage))
        _write(cache_file, b"", [*known.values(), *fresh])
    elif cache_file and fresh:
        _write(cache_file, cached.raw, fresh)
    if cache_file and (fresh or cached.damage):
        _drop_other_versions(cache_file)
        cachefile.sweep(cache_file.parent)
    known.update((commit.sha, commit) for commit in fresh)
    return [known[sha] for sha in reversed(shas) if sha in known]


def read_commits(repo: GitRepo, shas: list[str]) -> Iterator[MinedCommit]:
    for start in range(0, len(shas), BATCH):
        batch = shas[start : start + BATCH]
        messages = _messages(repo, batch)
        files = _files(repo, batch)
        commits = [_commit(messages[sha], files.get(sha, ())) for sha in batch if sha in messages]
        yield from _merges_undone(repo, commits)


def _merges_undone(repo: GitRepo, commits: list[MinedCommit]) -> list[MinedCommit]:
    """``commits`` with each named merge of the reverting commit's own past replaced by the
    non-merge commits it brought in (``<merge>^2`` not reachable from ``<merge>^1``).

    The miner reads no merges, so a revert of one named a commit the history never held and
    labelled nothing. The merge must be an ancestor of the reverting commit: a squash
    merge's body can quote a revert, made inside its pull request, of a merge of the main
    line into the branch, and the main-line commits that merge brought in were never undone.
    A record depends only on the commit and its ancestry, so it is cached as it is."""
    merges = _merges(repo, {named for commit in commits for named in commit.reverts})
    if not merges:
        return commits
    undone, walks = [], 0
    for commit in commits:
        reverts: list[str] = []
        for named in commit.reverts:
            merge = merges.get(named)
            walks += merge is not None
            brought = (
                _brought_in(repo, merge, commit.sha) if merge and walks <= MAX_MERGE_WALKS else []
            )
            reverts += brought or [named]
        found = tuple(dict.fromkeys(reverts))
        undone.append(commit if found == commit.reverts else replace(commit, reverts=found))
    return undone


def _brought_in(repo: GitRepo, merge: str, reverting: str) -> list[str]:
    """The non-merge commits ``merge`` brought in, when it is in ``reverting``'s past; none
    otherwise, or when git cannot walk it (a shallow or partial clone), and the merge's SHA
    then stays as named (it resolves to no commit of the history)."""
    _, outside = repo.run_partial("", "merge-base", "--is-ancestor", merge, reverting)
    if outside:
        return []
    listed, failed = repo.run_partial(
        "", "rev-list", "--no-merges", f"--max-count={MAX_MERGED}", f"{merge}^2", f"^{merge}^1"
    )
    return [] if failed else listed.split()


def _merges(repo: GitRepo, named: set[str]) -> dict[str, str]:
    """The full SHA of each of the ``named`` (maybe abbreviated) SHAs that is a merge commit
    here; SHAs git does not hold (a dropped branch's commits) or cannot tell apart are left
    out."""
    if not named:
        return {}
    asked = sorted(named)
    checked, _ = repo.run_partial(
        "\n".join(asked) + "\n", "cat-file", "--batch-check=%(objectname) %(objecttype)"
    )
    full = {
        name: fields[0]
        for name, fields in zip(
            asked, (line.split() for line in checked.splitlines()), strict=False
        )
        if len(fields) == 2 and fields[1] == "commit"
    }
    if not full:
        return {}
    listed, _ = repo.run_partial(
        "\n".join(full.values()) + "\n", "log", "--no-walk=unsorted", "--stdin", "--format=%H %P"
    )
    merges = {sha for sha, *parents in map(str.split, listed.splitlines()) if len(parents) > 1}
    return {name: sha for name, sha in full.items() if sha in merges}


def _messages(repo: GitRepo, shas: list[str]) -> dict[str, tuple[str, ...]]:
    output = repo.run_input(
        "\n".join(shas) + "\n",
        "log",
        "--no-walk=unsorted",
        "--stdin",
        "-z",
        "--format=%H%x1f%P%x1f%aE%x1f%ct%x1f%B",
    )
    found: dict[str, tuple[str, ...]] = {}
    for record in output.split("\0"):
        fields = record.lstrip("\n").split("\x1f", 4)
        if len(fields) == 5 and fields[3].isdigit():
            found[fields[0]] = tuple(fields)
    return found


def _files(repo: GitRepo, shas: list[str]) -> dict[str, tuple[ChangedFile, ...]]:
    """``git log --raw --numstat`` for ``shas``; a commit git cannot diff (a missing blob)
    keeps its file names from ``--raw`` alone and the pass resumes after it."""
    found: dict[str, tuple[ChangedFile, ...]] = {}
    pending = list(shas)
    while pending:
        output, failed = repo.run_partial(
            "\n".join(pending) + "\n",
            "log",
            "--no-walk=unsorted",
            "--stdin",
            "-z",
            "--raw",
            "--numstat",
            "--no-renames",
            "--format=%x1e%H",
        )
        for chunk in output.split("\x1e")[1:]:
            sha, _, body = chunk.partition("\0")
            try:
                found[sha] = tuple(parse_raw_numstat(body.lstrip("\n")))
            except (ValueError, IndexError):
                found[sha] = ()
        if not failed:
            break
        done = {sha for sha in pending if sha in found}
        rest = [sha for sha in pending if sha not in done]
        if not rest:
            break
        # The first unread commit is the one git could not diff: names only, then go on.
        found[rest[0]] = _names_only(repo, rest[0])
        pending = rest[1:]
    return found


def _names_only(repo: GitRepo, sha: str) -> tuple[ChangedFile, ...]:
    output = repo.run("show", "-z", "--no-renames", "--name-status", "--format=", sha)
    tokens = [token for token in output.split("\0") if token.strip("\n")]
    return tuple(
        ChangedFile(path=path, status=status.strip()[:1] or "M")
        for status, path in zip(tokens[::2], tokens[1::2], strict=False)
    )


def _commit(fields: tuple[str, ...], files: Iterable[ChangedFile]) -> MinedCommit:
    sha, parents, email, stamp, message = fields
    subject = message.strip().split("\n", 1)[0]
    return MinedCommit(
        sha=sha,
        parents=tuple(parents.split()),
        author=email.lower(),
        time=int(stamp),
        subject=subject[:200],
        fix=is_fix(message),
        reverts=named_reverts(message),
        files=tuple(files),
    )


def repository_key(repo: GitRepo) -> str:
    """A repository's name in the cache: its oldest root commit, the same in every clone."""
    roots = repo.run("rev-list", "--max-parents=0", "HEAD").split()
    return (sorted(roots) or ["none"])[0][:16]


def _cache_file(repo: GitRepo, cache_dir: Path) -> Path:
    """One file per repository (named by its root commits), shared by every branch."""
    return cache_dir / f"risk-history-v{CACHE_VERSION}-{repository_key(repo)}.jsonl.gz"


def _drop_other_versions(path: Path) -> None:
    key = path.name.split("-", 3)[3]
    cachefile.prune(path.parent.glob(f"risk-history-v*-{key}"), path.name)


@dataclass(frozen=True)
class _Cached:
    """What a history file held: its commits (every whole record up to any damage), its raw
    bytes (kept as they are when nothing was wrong, so a run appends without re-encoding), and
    what was wrong ("" for nothing)."""

    commits: dict[str, MinedCommit]
    raw: bytes
    damage: str


def _load(path: Path) -> _Cached:
    """The cached commits. Any damage (the stream's, a line that is not UTF-8 JSON, a record
    of another version) is reported, and the records read before and after it are kept."""
    raw, data, damage = cachefile.read_gzip(path)
    found: dict[str, MinedCommit] = {}
    lines = data.split(b"\n")
    if damage and lines[-1]:
        lines.pop()  # the record the damage cut short
    for line in lines:
        if not line:
            continue
        try:
            record = json.loads(line.decode("utf-8"))
            if record.get("v") != CACHE_VERSION:
                raise ValueError(f"a record of version {record.get('v')!r}")
            commit = MinedCommit.from_json(record)
        except (ValueError, KeyError, TypeError, AssertionError, AttributeError) as exc:
            damage = damage or f"a record that cannot be read: {cachefile.describe(exc)}"
            continue
        found[commit.sha] = commit
    return _Cached(found, b"" if damage else raw, damage)


def _write(path: Path, kept: bytes, commits: Sequence[MinedCommit]) -> None:
    """Write the file anew: ``kept`` (an undamaged file's bytes, as read) and one more gzip
    member of ``commits`` (readers see one stream), renamed into place."""
    text = "".join(json.dumps(commit.to_json(), separators=(",", ":")) + "\n" for commit in commits)
    cachefile.write(path, kept + gzip.compress(text.encode("utf-8"), compresslevel=6))
