"""Dockerfile advice, proven by building it.

Each rule (:mod:`rules`) reads the head's Dockerfile and proposes a changed one. The change is
built with the same builder and cache as the head, and it stands (``verified``) only when the
image is smaller (for a rule about the cache: no larger), its files pass the rule's check
(:mod:`judge`: the same files outside apt's lists, caches and ``/tmp``; or only files of
packages nobody asked for gone; ...), and, for a rule about the cache, an application-only
change (one new file in the context) keeps the dependency layer cached. A change that fails to
build or to meet one of those is ``refuted``; one that was not built (no time, a rule that
needs a registry, past the run's time for advice), or a rule about the cache whose
application-only change the context's ``.dockerignore`` left out, is ``unchecked``.

Two candidates are built at once where the machine has the cores, each by a builder of its
own (:meth:`.builder.Builder.apart`: with buildah, its own storage and context copy, the
head's storage read-only); they start only while the mode is within :data:`TIMES` its longest
build (base or head: what a plain build takes here), and a build still running then is stopped.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from cicd_agent.actions.errors import CicdError
from cicd_agent.job.context import RunContext
from cicd_agent.modes.build.builder import Builder
from cicd_agent.modes.build.collect import build
from cicd_agent.modes.build.dockerfile import parse
from cicd_agent.modes.build.images import local_digests
from cicd_agent.modes.build.judge import Judged, judge
from cicd_agent.modes.build.layers import Built
from cicd_agent.modes.build.options import BuildOptions
from cicd_agent.modes.build.result import AdviceReport
from cicd_agent.modes.build.rules import Candidate, candidates
from cicd_agent.modes.build.smoke import smoke
from cicd_agent.modes.build.types import BuildFacts, Source

MOST = 4
"""Candidates built in one run (each is one more build)."""
MANIFESTS = 1_000_000
"""Bytes a cache rule may add (the manifests it copies before the rest)."""
PROBE = "cicd-agent-application-change.txt"
"""The file an application-only change adds to the context's top folder, for a rule about the
cache: the image built after it must hold it, or the change was never seen."""
HIDDEN = (
    "the context's .dockerignore leaves out the application change the cache is tested with, so "
    "the build proved nothing about the cache"
)
UNBUILT = {
    "registry": "a digest pin changes no file: the registry gives the digest, and this run "
    "reads none, so it is not proven here",
}
"""Checks no build can make, with why."""
LOCAL_DIGEST = (
    "this is the digest of the image --image gave, not of the registry's image of that name: "
    "pin it only where the build uses that very image, else the digest the registry gives"
)
"""Said beside a pin to a local image's digest: a root file system packed on the runner, or an
image built there, has a digest no registry gives, and a build pulling the name breaks on it."""
WORKERS = 2
"""Candidates built at once, where the process may use as many cores."""
TIMES = 3.0
"""The mode's whole time, as a multiple of its longest build, within which advice is built."""
AT_LEAST = 120.0
"""Seconds from the mode's start advice may use whatever its builds took (a build of seconds
leaves most of a run to starting up and reading)."""
RESERVE = 60.0
"""Seconds kept before the run's deadline for what follows the advice (lint, the report)."""

Attempt = tuple[Built, bool | None, Builder] | str | CicdError
"""A candidate's builds: the image, whether the cache held and the builder that holds the
image, or why it was not built (``unchecked``), or why it did not build (``refuted``)."""


def prove(ctx: RunContext[BuildOptions], facts: BuildFacts) -> list[AdviceReport]:
    """Each candidate built and measured against the head (in the candidates' order)."""
    local = local_digests(facts.head_source.text, ctx.mode_options.build_args, facts.images)
    listed = candidates(facts.head_source, ctx.mode_options.target, facts.head, local)
    until = budget(facts.started, facts.longest_build, ctx.options.deadline_minutes)
    lock = threading.Lock()
    workers = WORKERS if _cores() >= WORKERS else 1
    if any(candidate.check not in UNBUILT for candidate in listed):
        ctx.progress.stage(f"build: advice, {workers} at a time ({facts.builds.name})")
    attempts: list[Future[Attempt] | None] = []
    with ThreadPoolExecutor(workers) as pool:
        built = 0
        for candidate in listed:
            if candidate.check in UNBUILT or built >= MOST:
                attempts.append(None)
            else:
                say = _marked(ctx, lock, f"{candidate.rule} line {candidate.line}")
                attempts.append(
                    pool.submit(_attempt, ctx, facts, candidate, built, until=until, say=say)
                )
            built += candidate.check not in UNBUILT
        return [
            _proven(ctx, facts, candidate, attempt.result() if attempt is not None else None)
            for candidate, attempt in zip(listed, attempts, strict=True)
        ]


def budget(started: float, longest: float, deadline_minutes: float | None) -> float:
    """When (``time.monotonic``) advice stops being built, for a mode that began at
    ``started`` and whose longest build took ``longest`` seconds: :data:`TIMES` that from the
    start (at least :data:`AT_LEAST` seconds), and :data:`RESERVE` before the run's deadline."""
    until = started + max(TIMES * longest, AT_LEAST)
    if deadline_minutes:
        until = min(until, started + deadline_minutes * 60 - RESERVE)
    return until


def _cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _marked(
    ctx: RunContext[BuildOptions], lock: threading.Lock, mark: str
) -> Callable[[str], None]:
    def say(line: str) -> None:
        with lock:
            ctx.progress.say(f"[{mark}] {line}")

    return say


def _attempt(
    ctx: RunContext[BuildOptions],
    facts: BuildFacts,
    candidate: Candidate,
    number: int,
    *,
    until: float,
    say: Callable[[str], None],
) -> Attempt:
    spent = f"the run's time for advice was spent ({TIMES:g}× its longest build)"
    if time.monotonic() >= until:
        return f"not built: {spent}"
    try:
        return _measure(ctx, facts, candidate, number, say=say, until=until)
    except CicdError as exc:
        return f"stopped: {spent}" if time.monotonic() >= until else exc


def _proven(
    ctx: RunContext[BuildOptions],
    facts: BuildFacts,
    candidate: Candidate,
    attempt: Attempt | None,
) -> AdviceReport:
    def report(
        status: str, why: str, after: Built | None = None, **measured: bool | None
    ) -> AdviceReport:
        return AdviceReport(
            rule=candidate.rule,
            line=candidate.line,
            status=status,
            size_before=facts.head.size,
            size_after=after.size if after is not None else None,
            suggestion=candidate.suggestion,
            suggestion_file=candidate.suggestion_file,
            why=why,
            **measured,
        )

    if candidate.check in UNBUILT:
        return report("unchecked", UNBUILT[candidate.check])
    if attempt is None:
        return report("unchecked", f"only {MOST} changes are built a run")
    if isinstance(attempt, str):
        return report("unchecked", attempt)
    if isinstance(attempt, CicdError):
        return report("refuted", f"the changed Dockerfile did not build ({attempt.message[:200]})")
    after, kept, builder = attempt
    judged = judge(facts.head, after, candidate)
    smoked = smoke(ctx, builder, after, f"advice {candidate.rule}") if judged.ok else None
    if smoked is not None and not smoked.passed:
        return report("refuted", f"the smoke command exited {smoked.exit_code} in its image", after)
    if judged.ok and candidate.cached_step is not None and kept is None:
        return report("unchecked", HIDDEN, after, same_files=judged.same_files)
    verified, why = standing(judged, facts.head.size, after.size, candidate, kept)
    return report(
        "verified" if verified else "refuted",
        why,
        after,
        same_files=judged.same_files,
        cache_kept=kept,
    )


def standing(
    judged: Judged, before: int, after: int, candidate: Candidate, kept: bool | None
) -> tuple[bool, str]:
    """Whether a built candidate stands, and why. A rule about the cache stands when the image
    is no larger but for the manifests it copies twice (their bytes are the price of the
    cache); any other must make the image smaller: a change that saves no byte is no advice."""
    if not judged.ok:
        return False, judged.why
    if candidate.check == "pinned":  # a pin saves no byte: it names the image built from
        if after > before:
            return False, "the image grew"
        return True, (f"{judged.why} from the local image of that digest; {LOCAL_DIGEST}")
    if candidate.cached_step:
        if after > before + MANIFESTS:
            return False, "the image grew"
    elif after >= before:
        return False, "the image grew" if after > before else "it saves no byte"
    if kept is False:
        return False, "an application-only change still rebuilds the dependencies"
    return True, judged.why + (" and keeps the cache" if kept else "")


def _measure(
    ctx: RunContext[BuildOptions],
    facts: BuildFacts,
    candidate: Candidate,
    number: int,
    *,
    say: Callable[[str], None],
    until: float,
) -> tuple[Built, bool | None, Builder]:
    """The candidate built by a builder of its own (and, for a rule about the cache, built
    again by it after an application-only change: whether its step stayed cached)."""
    builder = facts.builds.apart()
    folder = facts.work / f"advice-{number}"
    folder.mkdir(parents=True, exist_ok=True)
    dockerfile = folder / "Dockerfile"
    text = candidate.dockerfile or facts.head_source.text
    dockerfile.write_text(text, encoding="utf-8")
    parsed = parse(text)
    context = facts.head_source.context
    if candidate.context_files:
        context = _context_with(context, folder / "context", candidate.context_files)
    source = Source(facts.head_source.root, context, dockerfile, text, parsed)
    after = build(
        ctx,
        builder,
        source,
        folder / "image",
        f"advice {candidate.rule}",
        said_by=say,
        timeout=_left(until),
    )
    kept: bool | None = None
    if candidate.cached_step is not None:
        changed = _context_with(
            context, folder / "context-changed", {PROBE: "a change to the application\n"}
        )
        again = Source(facts.head_source.root, changed, dockerfile, text, parsed)
        rebuilt = build(
            ctx,
            builder,
            again,
            folder / "image-changed",
            "advice after an application-only change",
            said_by=say,
            timeout=_left(until),
        )
        seen = any(posixpath.basename(path) == PROBE for path in rebuilt.tree.files)
        kept = candidate.cached_step in rebuilt.cached if seen else None
    return after, kept, builder


def _left(until: float) -> float:
    """Seconds a build may still take (at least one: a build is never given none)."""
    return max(until - time.monotonic(), 1.0)


def _context_with(context: Path, folder: Path, files: dict[str, str]) -> Path:
    """A copy of ``context`` in ``folder`` with ``files`` written into its top folder."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(context, folder, symlinks=True)
    for name, text in files.items():
        (folder / name).unlink(missing_ok=True)  # a link the context held is replaced, not followed
        (folder / name).write_text(text, encoding="utf-8")
    return folder
