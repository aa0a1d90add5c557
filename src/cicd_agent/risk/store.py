"""The one place deploy-gate's learning keeps what it read and fitted: the fit at a weekly
checkpoint (cached as JSON, gzip), and the replayed state advanced to the base. What the mining
reads from git and caches per commit is :mod:`mining`'s; this module asks it, fits with
:mod:`model`, and hands :mod:`fit` a :class:`Snapshot` to score from. Scoring itself
(:mod:`model`, :mod:`floors`, :mod:`reasons`) never touches git or a file.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cicd_agent.local import cachefile
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import jit, mining
from cicd_agent.risk import model as risk_model
from cicd_agent.risk import prior as risk_prior
from cicd_agent.risk.labels import fix_inducing, reverted
from cicd_agent.runner.errors import UsageError
from cicd_agent.runner.progress import Progress

WEEK = 7 * 86_400
MONDAY_EPOCH = 4 * 86_400
"""1970-01-05 00:00 UTC, a Monday: weeks are counted from it."""
SNAPSHOT_VERSION = 14
KEPT_FITS = 3
"""Cached fits kept (the most recently used): this week's, and a few for a release branch
or a base of last week."""


@dataclass
class Snapshot:
    """The model fitted at a checkpoint and the replayed state advanced to the base."""

    checkpoint: str
    model: risk_model.FittedModel | None
    state: jit.Replay
    commits: int
    reverted: int
    induced: int


def checkpoint_of(repo: GitRepo, base: str) -> str:
    """The newest first-parent ancestor of ``base`` committed before the Monday (00:00 UTC)
    of ``base``'s week: a function of ``base``'s own past only, so every run in every clone
    fits the same model for it, bases of one week share one fit, and finding it walks only
    that week (no count of the whole history)."""
    when = repo.commit_time(base)
    monday = when - (when - MONDAY_EPOCH) % WEEK
    if monday < 1_000_000_000:  # git reads a small number as a day of the month
        return base
    found = repo.run(
        "rev-list", "--first-parent", "--max-count=1", f"--until={monday}", base
    ).strip()
    return found or base


def fitted_at(
    repo: GitRepo,
    base: str,
    cache_dir: Path | None,
    notes: list[str] | None = None,
    progress: Progress | None = None,
) -> Snapshot:
    """The model fitted on the past of ``base``'s checkpoint (cached), and the feature state
    of the whole past of ``base`` (the checkpoint's state plus the commits after it). A
    damaged cache file is set aside and rebuilt, with a note in ``notes``."""
    checkpoint = checkpoint_of(repo, base)
    prior = risk_prior.load_prior()
    path = _snapshot_path(cache_dir, checkpoint, prior) if cache_dir else None
    snapshot = _load_snapshot(path, checkpoint, notes) if path else None
    if snapshot is None:
        if progress is not None:
            progress.say("no cached fit for this week: mining the history and fitting")
        past = mining.mine(repo, checkpoint, cache_dir, notes=notes, progress=progress)
        if progress is not None:
            progress.say(f"fitting the risk model on {len(past):,} past commits")
        rows, state = jit.replay(past)
        labels = reverted(past)
        induced = fix_inducing(past) - labels
        model = risk_model.fit(
            rows,
            risk_model.own_labels([c.sha for c in past], labels, induced),
            prior,
        )
        snapshot = Snapshot(checkpoint, model, state, len(past), len(labels), len(induced))
        if path:
            _save_snapshot(path, snapshot)
    if checkpoint != base:
        newer = repo.run("rev-list", "--no-merges", "--reverse", f"{checkpoint}..{base}").split()
        if progress is not None:
            progress.say(f"reading the {len(newer):,} commit(s) after the fit's checkpoint")
        for commit in mining.read_commits(repo, newer):
            snapshot.state.add(commit)
    return snapshot


def _snapshot_path(
    cache_dir: Path, checkpoint: str, prior: risk_prior.CrossRepoPrior | None
) -> Path:
    """Where the fit at ``checkpoint`` is kept. The prior's digest is part of the name: a fit
    holds the prior's weights and its words' log-odds for every past commit, so a cache
    restored after an upgrade that ships another prior is fitted again, not mixed with the
    new prior's words."""
    made_with = prior.digest if prior else "none"
    return cache_dir / f"risk-model-v{SNAPSHOT_VERSION}-{made_with}-{checkpoint}.json.gz"


def _save_snapshot(path: Path, snapshot: Snapshot) -> None:
    data = {
        "checkpoint": snapshot.checkpoint,
        "model": asdict(snapshot.model) if snapshot.model else None,
        "state": snapshot.state.to_json(),
        "counts": [snapshot.commits, snapshot.reverted, snapshot.induced],
    }
    # One ``dumps`` (the C encoder; ``json.dump`` to a stream encodes in Python) and level 6
    # (the default 9 is markedly slower for files barely smaller).
    text = json.dumps(data, separators=(",", ":"))
    if cachefile.write(path, gzip.compress(text.encode("utf-8"), compresslevel=6)):
        _drop_stale(path)
        cachefile.sweep(path.parent)


def _drop_stale(path: Path) -> None:
    """Remove the cached fits another snapshot version or another prior made (every name but
    ``path``'s ``risk-model-v<version>-<prior>-`` start: no run of this release can use them),
    and all but the :data:`KEPT_FITS` most recently used of this release's: a fit is made
    once a week and the cache is saved after every run, so it would otherwise grow by a fit
    (2 MB on ansible/awx's 20,000 commits) every week for ever."""
    current = path.name[: path.name.rindex("-") + 1]
    mining.prune(path.parent.glob("risk-model-v*.json.gz"), current, KEPT_FITS)


def _load_snapshot(path: Path, checkpoint: str, notes: list[str] | None) -> Snapshot | None:
    """A cached fit, or None (absent: fitted; damaged, or written by another release under
    this name: set aside with a note, then fitted again)."""
    _, text, damage = cachefile.read_gzip(path)
    if not text and not damage:
        return None  # not cached
    snapshot = None
    if not damage:
        try:
            snapshot = _snapshot_of(json.loads(text.decode("utf-8")), checkpoint)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as exc:
            damage = cachefile.describe(exc)
    if snapshot is None:
        reason = damage or "another feature set"
        if notes is not None:
            notes.append(cachefile.set_aside(path, reason))
        return None
    with contextlib.suppress(OSError):  # a read-only cache still serves its fits
        os.utime(path)  # used: :func:`_drop_stale` keeps the most recently used ones
    return snapshot


def _snapshot_of(data: dict[str, Any], checkpoint: str) -> Snapshot | None:
    """The fit a cache file holds (None: fitted on another feature set); a file of another
    shape raises (KeyError, TypeError, ValueError)."""
    model = data["model"]
    commits, reverted, induced = (int(n) for n in data["counts"])
    if model and (
        len(model["knots"]) != len(jit.FEATURES)
        or any(len(model[key]) not in (0, len(jit.FEATURES)) for key in _VECTORS[:2])
    ):
        return None
    return Snapshot(
        checkpoint,
        risk_model.FittedModel(
            commits=int(model["commits"]),
            positives=int(model["positives"]),
            knots=tuple(tuple(float(v) for v in knots) for knots in model["knots"]),
            **{key: tuple(float(v) for v in model[key]) for key in _VECTORS},
            intercept=float(model["intercept"]),
            prior_intercept=float(model["prior_intercept"]),
            recent_riskier=int(model.get("recent_riskier", 0)),
        )
        if model
        else None,
        jit.Replay.from_json(data["state"]),
        commits,
        reverted,
        induced,
    )


_VECTORS = (
    "coef", "prior_coef", "past_logits", "prior_logits", "past_blend", "past_blend_newcomer",
)  # fmt: skip


HISTORY_VERSION = 1
MAX_HISTORY_BYTES = 256 << 20
"""A deepened history bigger than this packed is fetched again each run rather than cached."""
_SHAS = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


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
        mining.prune(
            cache_dir.glob("history-v*.pack.gz"), f"history-v{HISTORY_VERSION}-", KEPT_FITS
        )


def deepened(
    repo: GitRepo, wanted: list[str], since: int, cache_dir: Path | None, notes: list[str] | None
) -> bool:
    """Whether ``repo`` was deepened from the history :func:`keep_history` cached for
    ``wanted`` and ``since`` (no fetch). The pack is indexed by git into a scratch repository
    of ours (every object's name is its hash, so a forged object cannot pass for a wanted
    commit), which must hold ``wanted`` back to ``since`` or to its first commit; a cut or
    forged file is set aside with a note, and the caller fetches instead."""
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
            boundary = [sha for sha in meta.get("shallow", []) if _SHAS.fullmatch(sha)]
            held = _scratch_repo(Path(scratch), boundary, pack)
            roots = set(held.run("rev-list", "--max-parents=0", *wanted).split()) - set(boundary)
            oldest = min(int(t) for t in held.run("log", "--format=%ct", *wanted).split())
            if meta.get("wanted") != wanted or (not roots and oldest > since + WEEK):
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
