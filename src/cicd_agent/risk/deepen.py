"""A shallow clone's missing history: fetched from the repository's GitHub server with the job's
token, bounded to :data:`DEEPEN_DAYS` (or the commits risk reads, where those days hold fewer:
a repository years quiet), and kept beside the fit so a later run deepens without a
fetch. Risk reads the touched files' past (:mod:`.checkout`); a depth-1 checkout has none until
this module has run.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.actions.errors import UsageError
from cicd_agent.local import cachefile
from cicd_agent.local.gitrepo import GitRepo, is_null_sha
from cicd_agent.risk import store
from cicd_agent.risk.checkout import WINDOW_COMMITS


@dataclass(frozen=True)
class Origin:
    """Where a shallow clone's missing history comes from: the repository on its GitHub
    server (``GITHUB_SERVER_URL``/``GITHUB_REPOSITORY``, which a step cannot overwrite) and
    the job's token."""

    url: str
    token: str | None = None

    @classmethod
    def of(cls, server_url: str, repository: str | None, token: str | None) -> Origin | None:
        return cls(f"{server_url}/{repository}.git", token) if repository else None


DEEPEN_DAYS = 730
"""How far back a shallow clone's history is fetched: two years, more than a fit reads of
most repositories' recent past (and bounded, so a deep history is not fetched whole)."""
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def deepen_history(
    repo: GitRepo,
    origin: Origin | None,
    commits: Sequence[str | None],
    now: int,
    *,
    past: Sequence[str | None] = (),
    cache_dir: Path | None = None,
    notes: list[str] | None = None,
) -> bool:
    """Whether a shallow clone was deepened here: ``commits``' history back :data:`DEEPEN_DAYS`
    from ``now``, from an earlier run's cache, else fetched with the job's token and kept. Run
    before the range is read (a depth-1 checkout lacks the base). False for a full clone and when
    neither served: the scorer then keeps the priors and the shallow floor.

    ``past``: those of ``commits`` whose past risk reads (the base, never a change's head): one
    the days hold fewer commits of than the window is fetched that many commits deep. Only
    these: a change's author dates its commits, so a head merging a thousand branches dated
    years back is cut at each, and a fetch deepening every cut brings a window down each."""
    if not repo.is_shallow():
        return False
    wanted = sorted({c for c in commits if c and _SHA.fullmatch(c) and not is_null_sha(c)})
    if origin is None or not wanted:
        return False
    # From the newest named commit the clone holds (the same bound whichever mode runs or
    # whenever), else from ``now``; never from after ``now``: the head's date is its author's,
    # and one written years ahead would fetch none of the base's past.
    newest = max((repo.commit_time(c) for c in wanted if _held(repo, c)), default=now)
    since = (min(newest, now) if now > 0 else newest) - DEEPEN_DAYS * 86_400
    if deepened(repo, wanted, since, cache_dir, notes):
        return True
    fetched = repo.deepen(origin.url, wanted, since, token=origin.token)
    bases = sorted({c for c in past if c in wanted}) if fetched and repo.is_shallow() else []
    short = [c for c in bases if _reached(repo, c) < WINDOW_COMMITS]
    if short:
        # years quiet, then changed today: the days held none of the files' past
        repo.deepen(origin.url, short, None, token=origin.token, more=WINDOW_COMMITS)
    if fetched:
        keep_history(repo, wanted, since, cache_dir)
    return fetched


def _reached(repo: GitRepo, sha: str) -> int:
    """The commits the clone holds of ``sha``'s past (up to the window; none when not held)."""
    if not _held(repo, sha):
        return WINDOW_COMMITS
    counted = repo.run("rev-list", "--count", f"--max-count={WINDOW_COMMITS}", sha).strip()
    return int(counted) if counted.isdigit() else 0


def _held(repo: GitRepo, sha: str) -> bool:
    try:
        repo.resolve_commit(sha, "named")
    except UsageError:
        return False
    return True


HISTORY_VERSION = 1
MAX_HISTORY_BYTES = 256 << 20
"""A deepened history bigger than this packed is fetched again each run rather than cached."""


def _history_path(cache_dir: Path, wanted: list[str], since: int) -> Path:
    key = hashlib.sha256(json.dumps([wanted, since]).encode()).hexdigest()[:20]
    return cache_dir / f"history-v{HISTORY_VERSION}-{key}.pack.gz"


def keep_history(repo: GitRepo, wanted: list[str], since: int, cache_dir: Path | None) -> None:
    """Keep what a deepening fetched, ``wanted``'s history back to ``since``, beside the fit:
    the pack of those commits and the clone's shallow boundary, so the next run on the same
    range (a new depth-1 checkout) deepens from the cache without a fetch (:func:`deepened`)."""
    if cache_dir is None:
        return
    try:  # a cache may cost a run time, never the run
        pack = repo.run_input_bytes(
            "".join(f"{sha}\n" for sha in wanted), "pack-objects", "--stdout", "--revs"
        )
        # The shallow list git keeps for this process's reads (it may differ from the checkout's).
        listed = Path(repo.run("rev-parse", "--git-path", "shallow").strip())
        boundary = listed.read_text(encoding="ascii").split() if listed.is_file() else []
    except (UsageError, OSError, UnicodeError):
        return
    head = json.dumps({"wanted": wanted, "since": since, "shallow": boundary})
    if len(pack) <= MAX_HISTORY_BYTES:
        path = _history_path(cache_dir, wanted, since)
        cachefile.write(path, gzip.compress(head.encode() + b"\n" + pack, compresslevel=1))
        cachefile.prune(
            cache_dir.glob("history-v*.pack.gz"), f"history-v{HISTORY_VERSION}-", store.KEPT_FITS
        )


def deepened(
    repo: GitRepo, wanted: list[str], since: int, cache_dir: Path | None, notes: list[str] | None
) -> bool:
    """Whether ``repo`` was deepened from the cached history (no fetch). The pack is indexed by
    git into a scratch repository (every object's name is its hash, so a forged object cannot
    pass for a wanted commit), which must reach back to ``since``; a cut or forged file is set
    aside with a note, and the caller fetches."""
    path = _history_path(cache_dir, wanted, since) if cache_dir else None
    if path is None:
        return False
    _, data, damage = cachefile.read_gzip(path)
    if not data and not damage:
        return False
    head, _, pack = data.partition(b"\n")
    with tempfile.TemporaryDirectory(prefix="cicd-agent-history-") as scratch:
        try:
            meta = json.loads(head) if not damage else {}
            boundary = [sha for sha in meta.get("shallow", []) if _SHA.fullmatch(sha)]
            held = _scratch_repo(Path(scratch), boundary, pack)
            roots = set(held.run("rev-list", "--max-parents=0", *wanted).split()) - set(boundary)
            oldest = min(int(t) for t in held.run("log", "--format=%ct", *wanted).split())
            if meta.get("wanted") != wanted or (not roots and oldest > since + store.WEEK):
                damage = damage or "it does not hold the history it names"
        except (ValueError, UsageError, AttributeError, TypeError) as exc:
            damage = damage or cachefile.describe(exc)
        if damage:
            if notes is not None:
                notes.append(cachefile.set_aside(path, damage))
            return False
        return repo.deepen(f"file://{scratch}", wanted, None)


def _scratch_repo(folder: Path, boundary: list[str], pack: bytes) -> GitRepo:
    """A bare repository of our own (no settings of anyone's) holding ``pack``, shallow at
    ``boundary``."""
    for name in ("objects/pack", "refs/heads"):
        (folder / name).mkdir(parents=True)
    (folder / "HEAD").write_text("ref: refs/heads/main\n", encoding="ascii")
    (folder / "shallow").write_text("".join(f"{sha}\n" for sha in boundary), encoding="ascii")
    held = GitRepo.open(folder)
    held.run_input_bytes(pack.decode("utf-8", "surrogateescape"), "index-pack", "--stdin")
    return held
