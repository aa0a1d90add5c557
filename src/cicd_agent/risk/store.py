"""The one place deploy-gate's learning keeps its fit: a weekly checkpoint (gzipped JSON) with
the replayed state advanced to the base. Shared by concurrent runs and written as
:mod:`cachefile` says: a damaged snapshot costs a note and a refit, never the run."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
from collections.abc import Mapping
from pathlib import Path

from cicd_agent.actions.progress import Progress
from cicd_agent.local import cachefile
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import jit
from cicd_agent.risk import model as risk_model
from cicd_agent.risk import prior as risk_prior
from cicd_agent.risk.fit import Snapshot
from cicd_agent.risk.jit import fix_inducing, reverted
from cicd_agent.risk.mining import mine, read_commits, repository_key

WEEK = 7 * 86_400
MONDAY_EPOCH = 4 * 86_400
"""1970-01-05 00:00 UTC, a Monday: weeks are counted from it."""
SNAPSHOT_VERSION = 18
KEPT_FITS = 3
"""Cached fits kept per repository (the most recently used): this week's, and a few for a
release branch or a base of last week."""


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
    path = _snapshot_path(cache_dir, repository_key(repo), checkpoint, prior) if cache_dir else None
    snapshot = _load_snapshot(path, checkpoint, notes) if path else None
    if snapshot is None:
        if progress is not None:
            progress.say("no cached fit for this week: mining the history and fitting")
        past = mine(repo, checkpoint, cache_dir, notes=notes, progress=progress)
        say = progress.say if progress is not None else _silent
        say(f"fitting the risk model on {len(past):,} past commits")
        rows, state = jit.replay(past)
        say("1/3: their features, replayed")
        labels = reverted(past)
        induced = fix_inducing(past) - labels
        say(f"2/3: {len(labels):,} reverted and {len(induced):,} fix-inducing found")
        say(
            f"3/3: loading numpy and scipy, then solving for {len(jit.FEATURES)} weights"
            if len(rows) >= risk_model.MIN_RANKED
            else "3/3: too few to fit on"
        )
        model = risk_model.fit(
            rows,
            risk_model.own_labels([c.sha for c in past], labels, induced),
            prior,
            _last_fit(path) if path else None,
        )
        snapshot = Snapshot(checkpoint, model, state, len(past), len(labels), len(induced))
        if path:
            _save_snapshot(path, snapshot)
    if checkpoint != base:
        newer = repo.run("rev-list", "--no-merges", "--reverse", f"{checkpoint}..{base}").split()
        if progress is not None:
            progress.say(f"reading the {len(newer):,} commit(s) after the fit's checkpoint")
        for commit in read_commits(repo, newer):
            snapshot.state.add(commit)
        snapshot.later = len(newer)
    snapshot.at_base = checkpoint == base
    return snapshot


def _silent(line: str) -> None:
    """Progress nobody reads (a caller with no progress)."""


def _last_fit(path: Path) -> risk_model.FittedModel | None:
    """This repository's most recently used fit of this release (another week's), where a
    new week's fit starts from; None when there is none or it does not read."""
    current = path.name[: path.name.rindex("-") + 1]
    kept = []
    with contextlib.suppress(OSError):
        kept = sorted(path.parent.glob(f"{current}*.json.gz"), key=lambda p: -p.stat().st_mtime)
    for found in kept[:1]:
        snapshot = _load_snapshot(found, found.name[len(current) : -len(".json.gz")], None)
        return snapshot.model if snapshot else None
    return None


def _snapshot_path(
    cache_dir: Path, repository: str, checkpoint: str, prior: risk_prior.CrossRepoPrior | None
) -> Path:
    """Where the fit at ``checkpoint`` is kept. The prior's digest is part of the name: a fit
    holds the prior's weights and its words' log-odds for every past commit, so a cache
    restored after an upgrade that ships another prior is fitted again, not mixed with the
    new prior's words."""
    made_with = prior.digest if prior else "none"
    return (
        cache_dir / f"risk-model-v{SNAPSHOT_VERSION}-{made_with}-{repository}-{checkpoint}.json.gz"
    )


def _save_snapshot(path: Path, snapshot: Snapshot) -> None:
    # One ``dumps`` (the C encoder; ``json.dump`` to a stream encodes in Python) and level 6
    # (the default 9 is markedly slower for files barely smaller).
    text = json.dumps(snapshot.to_json(), separators=(",", ":"))
    if cachefile.write(path, gzip.compress(text.encode("utf-8"), compresslevel=6)):
        _drop_stale(path)
        cachefile.sweep(path.parent)


def _drop_stale(path: Path) -> None:
    """Remove the cached fits of another snapshot version or prior, and all but :data:`KEPT_FITS`
    of this release's: a fit is made weekly and the cache saved after every run, so it would
    otherwise grow by megabytes every week."""
    current = path.name[: path.name.rindex("-") + 1]  # this release, prior and repository
    release = current[: current[:-1].rindex("-") + 1]
    cachefile.prune(path.parent.glob("risk-model-v*.json.gz"), release, keep=1 << 30)
    # Each repository keeps its own fits: another repository's run never evicts them.
    cachefile.prune(path.parent.glob(f"{current}*.json.gz"), current, KEPT_FITS)


def _load_snapshot(path: Path, checkpoint: str, notes: list[str] | None) -> Snapshot | None:
    """A cached fit, or None (absent: fitted; damaged, or written by another release under
    this name: set aside with a note, then fitted again)."""
    _, text, damage = cachefile.read_gzip(path)
    if not text and not damage:
        return None  # not cached
    snapshot = None
    if not damage:
        try:
            snapshot = Snapshot.from_json(json.loads(text.decode("utf-8")), checkpoint)
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


def default_cache_dir(environ: Mapping[str, str]) -> Path | None:
    """``CICD_AGENT_CACHE_DIR`` (the directory the action keeps with ``actions/cache``), else
    ``RUNNER_TOOL_CACHE/cicd-agent`` on a runner, else ``XDG_CACHE_HOME/cicd-agent``."""
    if environ.get("CICD_AGENT_CACHE_DIR"):
        return Path(environ["CICD_AGENT_CACHE_DIR"])
    for name in ("RUNNER_TOOL_CACHE", "XDG_CACHE_HOME"):
        if environ.get(name):
            return Path(environ[name]) / "cicd-agent"
    home = environ.get("HOME")
    return Path(home) / ".cache" / "cicd-agent" if home else None
