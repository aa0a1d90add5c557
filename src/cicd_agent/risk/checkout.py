"""The one reader of the checkout for risk: the change's diff text (:func:`read_evidence`), the
touched files' past (:func:`read_history`, a shallow clone deepened first) and the scorer that puts
them together (:func:`assess_risk`).

History features follow just-in-time defect prediction (Kamei et al., TSE 2013; McIntosh & Kamei,
TSE 2018): files many people changed, files with past fixes and reverts, and authors new to the
code predict which changes break. They are computed as of the change's base, never using anything
after it, so scoring an old commit gives the answer it would have given on the day, which keeps
``bench/``'s revert-based evaluation honest. Two bounded ``git log`` passes, no per-file
processes; past changes' line counts are not read (blob diffs are git's slowest work, and no
feature uses them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from cicd_agent.actions.progress import Progress
from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.changes import ChangeSet
from cicd_agent.analysis.finding import Finding
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.local.range_findings import security_findings
from cicd_agent.risk import runs, store
from cicd_agent.risk.assessment import RiskAssessment
from cicd_agent.risk.beside import at_least, beside_part, left_out, measured
from cicd_agent.risk.evidence import (
    MAX_DIFF_BYTES,
    MAX_DIFF_PATHS,
    ChangeEvidence,
    DiffText,
    action_pins_only,
    destructive_statements,
    diff_parts,
    weakened_access,
)
from cicd_agent.risk.fit import Snapshot, refitted, with_note
from cicd_agent.risk.floors import GIT_TEXT, Identity
from cicd_agent.risk.records import (
    FileScan,
    HistoryFeatures,
    authors_of,
    history_keys,
    pathspecs_for,
    record_touch,
)
from cicd_agent.risk.removed_api import removed_names
from cicd_agent.risk.score import assess_change
from cicd_agent.risk.what_changed import read_what_changed

WINDOW_DAYS = 730
"""File history and subsystem experience look back this far from the base (two years), or
further where that holds fewer than :data:`WINDOW_COMMITS` commits."""
WINDOW_COMMITS = 1000
"""Commits before the base the file history reaches at least: a repository quiet for years
and changed again today kept none of its files' past in the two years before the base, so a
change stacked on today's first commit scored below that commit (quick-error, xxhash)."""
FILE_WINDOW = 5000
"""Most past commits of the touched subsystems read."""
AUTHOR_WINDOW = 200_000
"""Most past commits read for overall author experience (a 10,000-commit history is read whole)."""
SECONDS_PER_DAY = 86_400


def read_history(repo: GitRepo, change: ChangeSet, *, now: int) -> HistoryFeatures:
    """History features of ``change`` as of its base (see the module docstring), aged to
    ``now``: the time the gate runs (or its ``deploy-time``), never a date the change's author
    wrote into its commits."""
    authors = authors_of(change.commits)
    past = change.base
    if past is None:
        return HistoryFeatures.empty(authors)
    when = now
    reached = repo.run(
        "log", "-1", f"--skip={WINDOW_COMMITS - 1}", "--no-merges", "--format=%at", past
    ).strip()
    since = min(
        repo.commit_time(past) - WINDOW_DAYS * SECONDS_PER_DAY,
        int(reached) if reached.isdigit() else 0,
    )
    # The two passes are independent `git log` runs: run side by side, the slower one sets
    # the wall time (most of a cached deploy-gate run's, on a long history).
    with ThreadPoolExecutor(max_workers=2) as pool:
        files_pass = pool.submit(_file_pass, repo, past, measured(change), since)
        author_pass = pool.submit(_experience, repo, past, authors, when)
        scan = files_pass.result()
        experience, recent = author_pass.result()
    ages = [
        (when - history.last_change) / SECONDS_PER_DAY
        for history in scan.files.values()
        if history.last_change is not None
    ]
    developers: set[str] = set()
    for history in scan.files.values():
        developers |= history.authors
    return HistoryFeatures(
        files=scan.files,
        unique_changes=len(scan.touching),
        developers=len(developers),
        mean_age_days=sum(ages) / len(ages) if ages else None,
        past_fixes=len(scan.fixes),
        past_reverts=len(scan.reverts),
        revert_evidence=tuple(f"{sha[:12]} {subject}" for sha, subject in scan.reverts.items())[:5],
        authors=authors,
        experience=experience,
        recent_experience=recent,
        subsystem_experience=min((scan.subsystem_authors[a] for a in authors), default=0),
    )


def _file_pass(repo: GitRepo, past: str, change: ChangeSet, since: int) -> FileScan:
    scan = FileScan()
    keys = history_keys(change)
    paths = [*change.paths, *(c.old_path for c in change.files if c.old_path)]
    if not paths:
        return scan
    # Git reads a small number as a day of the month, so no window before 2001.
    window = [f"--since={since}"] if since > 1_000_000_000 else []
    output = repo.run(
        "log",
        f"--max-count={FILE_WINDOW}",
        "--no-merges",
        "--no-renames",
        "-z",
        "--name-only",
        *window,
        "--format=%x1e%H%x1f%at%x1f%aE%x1f%s",
        past,
        "--",
        *pathspecs_for(paths),
    )
    sha, subject, timestamp, author = "", "", 0, ""
    for token in output.split("\0"):
        if token.startswith("\x1e"):
            header = token[1:].split("\x1f", 3)
            if len(header) != 4:
                continue
            sha, stamp, author, subject = header
            author = author.lower()
            timestamp = int(stamp) if stamp.isdigit() else 0
            scan.subsystem_authors[author] += 1
            continue
        name = token.lstrip("\n")
        if name in keys:
            record_touch(
                scan, keys[name], sha=sha, subject=subject, author=author, timestamp=timestamp
            )
    return scan


def _experience(repo: GitRepo, past: str, authors: tuple[str, ...], when: int) -> tuple[int, float]:
    """Past commits of the least experienced author, plain and weighted by recency."""
    if not authors:
        return 0, 0.0
    output = repo.run(
        "log", f"--max-count={AUTHOR_WINDOW}", "--no-merges", "--format=%aE%x1f%at", past
    )
    counts: Counter[str] = Counter()
    recent: dict[str, float] = {}
    wanted = set(authors)
    year = 365.25 * SECONDS_PER_DAY
    for line in output.splitlines():
        email, _, stamp = line.partition("\x1f")
        email = email.lower()
        if email not in wanted:
            continue
        counts[email] += 1
        years = max(0.0, (when - int(stamp or 0)) / year)
        recent[email] = recent.get(email, 0.0) + 1.0 / (1.0 + years)
    least = min(authors, key=lambda author: counts[author])
    return counts[least], round(recent.get(least, 0.0), 3)


def read_evidence(
    repo: GitRepo,
    change: ChangeSet,
    *,
    with_security: bool,
    text: DiffText | None = None,
    security: Sequence[Finding] | None = None,
) -> ChangeEvidence:
    """Run the diff-text detectors over ``change``. ``with_security`` also runs the secret and
    workflow rules, unless the caller read them already (``security``: review, whose findings
    are the same scan). ``text`` reads the diff by path (default: ask git)."""
    files = change.files
    parts = _diff_parts(repo, change) if text is None else None

    def diff_text(paths: Sequence[str], max_bytes: int) -> str:
        if text is not None:
            return text(paths, max_bytes)
        if parts is not None and parts.covered.issuperset(paths):
            asked = set(paths)
            return "".join(parts.text[p] for p in parts.text if p in asked)[:max_bytes]
        return repo.diff_text(change.base, change.head, list(paths), max_bytes)

    migrations = [c.path for c in files if ChangeType.MIGRATION in c.types and not c.binary]
    runtime = [
        c.path
        for c in files
        if not c.binary and not c.types & {ChangeType.TESTS, ChangeType.DOCS, ChangeType.GENERATED}
    ]
    workflows = [c.path for c in files if c.path.startswith(".github/")]
    lines, moved = read_what_changed(repo, change, diff_text)
    running = diff_text(runtime[:MAX_DIFF_PATHS], MAX_DIFF_BYTES)
    return ChangeEvidence(
        destructive=tuple(destructive_statements(diff_text(migrations[:200], MAX_DIFF_BYTES))),
        weakened=tuple(weakened_access(running)),
        removed=tuple(f"{path}: {name}" for path, name in removed_names(running)),
        pins_only=len(workflows) == len(files)
        and action_pins_only(files, diff_text(workflows[:50], 200_000)),
        security=()
        if not with_security
        else tuple(security)
        if security is not None
        else tuple(security_findings(repo.path, change.base, change.head)),
        runs=lines,
        moved=moved,
    )


@dataclass(frozen=True)
class _Parts:
    covered: frozenset[str]
    """The paths the one diff was read for."""
    text: dict[str, str]


def _diff_parts(repo: GitRepo, change: ChangeSet) -> _Parts | None:
    """One ``git diff`` of every text file of ``change`` cut per file (:func:`diff_parts`),
    for the detectors and what-runs to share; None where that could differ from asking git
    per path set (a deleted file, more than :data:`MAX_DIFF_PATHS` files, a diff past
    :data:`MAX_DIFF_BYTES`, whose parts would be cut)."""
    paths = [
        c.path
        for c in change.files
        if not c.binary
        and (c.path.startswith(".github/") or not c.types & {ChangeType.DOCS, ChangeType.GENERATED})
    ]  # what the detectors and what-runs ask for; any other path is asked of git
    if not paths or len(paths) > MAX_DIFF_PATHS or any(c.status == "D" for c in change.files):
        return None
    whole = repo.diff_text(change.base, change.head, paths, MAX_DIFF_BYTES + 1)
    found = None if len(whole) > MAX_DIFF_BYTES else diff_parts(whole, paths)
    return None if found is None else _Parts(frozenset(paths), found)


def assess_risk(
    repo: GitRepo,
    change: ChangeSet,
    history: HistoryFeatures,
    cache_dir: Path | None,
    *,
    identity: Identity | None,
    deepened: bool,
    now: int,
    notes: list[str] | None = None,
    progress: Progress | None = None,
    text: DiffText | None = None,
    security: Sequence[Finding] | None = None,
) -> RiskAssessment:
    """The one risk scorer, review's and deploy-gate's alike, placed in time at ``now`` (a
    committer date is the author's text). ``text`` and ``security``: the caller's own reading of
    the diff and its findings; ``identity``: who GitHub says the change is by (None: git's author
    text, which only raises, :data:`~cicd_agent.risk.floors.GIT_TEXT`). A shallow clone is never
    ranked against the little past it holds. Scoring from a cached fit is plain arithmetic:
    scikit-learn is imported only to fit.

    Tests and documentation beside a code change leave its size and past (:mod:`.beside`), and
    the change is then never scored below those files alone: adding a line is never safer."""
    scored = measured(change)

    @cache
    def fitted() -> Snapshot:  # the past of one base, fitted once for both parts
        return store.fitted_at(repo, change.base or "", cache_dir, notes, progress)

    assessed = _assessed(
        repo,
        change,
        scored,
        history,
        fitted,
        identity=identity,
        deepened=deepened,
        now=now,
        text=text,
        security=security,
    )
    if scored is change:
        return assessed
    rest = beside_part(change, scored)
    alone = _assessed(
        repo,
        rest,
        rest,
        read_history(repo, rest, now=now),
        fitted,
        identity=identity,
        deepened=deepened,
        now=now,
        text=None,
        security=security,
    )
    return at_least(assessed, alone)


def _assessed(
    repo: GitRepo,
    change: ChangeSet,
    scored: ChangeSet,
    history: HistoryFeatures,
    fitted: Callable[[], Snapshot],
    *,
    identity: Identity | None,
    deepened: bool,
    now: int,
    text: DiffText | None,
    security: Sequence[Finding] | None,
) -> RiskAssessment:
    """:func:`assess_risk` of ``change`` with the size and past of its part ``scored``."""
    evidence = read_evidence(repo, change, with_security=True, text=text, security=security)
    # What runs and which dependencies moved, not only how many lines.
    files = runs.effective(scored.files, evidence.runs, evidence.moved)
    who = identity or GIT_TEXT
    # Deepened (:func:`deepen_history`): the past is there back to the bound, as mined.
    shallow = not deepened and repo.is_shallow()
    prior = assess_change(
        files,
        change.commits,
        history,
        evidence=evidence,
        identity=who,
        shallow=shallow,
        counted=(sum(c.added for c in change.files), sum(c.deleted for c in change.files)),
        beside=scored is not change,
    )
    # The change's types are all its files', tests and documentation too: only its size left
    # them out.
    whole = runs.effective(change.files, evidence.runs, evidence.moved)
    kinds = {kind for changed in whole for kind in changed.types}
    prior = replace(
        prior,
        change_types=[kind for kind in ChangeType if kind in kinds],
        reasons=[*prior.reasons, *left_out(change, scored)],
    )
    if shallow:
        return with_note(
            prior, "priors: the clone is shallow, so the repository's past is not known."
        )
    if change.base is None:
        return with_note(
            prior, "priors: no history before the base (a root commit or the empty tree)."
        )
    snapshot = fitted()
    return refitted(
        prior,
        snapshot,
        files=files,
        evidence=evidence,
        who=who,
        head_time=now,
    )
