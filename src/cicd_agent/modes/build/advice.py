"""Dockerfile advice, proven by building it.

Each rule (:mod:`rules`) reads the head's Dockerfile and proposes a changed one. The change is
built with the same builder and cache as the head, and it stands (``verified``) only when the
image is smaller (for a rule about the cache: no larger), its files pass the rule's check
(:mod:`judge`: the same files outside apt's lists, caches and ``/tmp``; or only files of
packages nobody asked for gone; ...), and, for a rule about the cache, an application-only
change (one new file in the context) keeps the dependency layer cached. A change that fails to
build or to meet one of those is ``refuted``; one that was not built (no time, a rule that
needs a registry) is ``unchecked``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cicd_agent.api import CicdError, RunContext
from cicd_agent.modes.build.builder import Builder
from cicd_agent.modes.build.collect import build
from cicd_agent.modes.build.dockerfile import parse
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
UNBUILT = {
    "registry": "a digest pin changes no file: the registry gives the digest, and this run "
    "reads none, so it is not proven here",
}
"""Checks no build can make, with why."""


def prove(ctx: RunContext[BuildOptions], facts: BuildFacts) -> list[AdviceReport]:
    """Each candidate built and measured against the head."""
    options = ctx.mode_options
    builder = facts.builds
    reports = []
    built = 0
    for candidate in candidates(facts.head_source, options.target, facts.head):
        reports.append(_proven(ctx, builder, facts, candidate, built))
        built += candidate.check not in UNBUILT
    return reports


def _proven(
    ctx: RunContext[BuildOptions],
    builder: Builder,
    facts: BuildFacts,
    candidate: Candidate,
    number: int,
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
    if number >= MOST:
        return report("unchecked", f"only {MOST} changes are built a run")
    try:
        after, kept = _measure(ctx, builder, facts, candidate, number)
    except CicdError as exc:
        return report("refuted", f"the changed Dockerfile did not build ({exc.message[:200]})")
    judged = judge(facts.head, after, candidate)
    smoked = smoke(ctx, builder, after, f"advice {candidate.rule}") if judged.ok else None
    if smoked is not None and not smoked.passed:
        return report("refuted", f"the smoke command exited {smoked.exit_code} in its image", after)
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
    builder: Builder,
    facts: BuildFacts,
    candidate: Candidate,
    number: int,
) -> tuple[Built, bool | None]:
    """The candidate built (and, for a rule about the cache, built again after an
    application-only change: whether its step stayed cached)."""
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
    after = build(ctx, builder, source, folder / "image", f"advice {candidate.rule}")
    kept: bool | None = None
    if candidate.cached_step is not None:
        changed = _context_with(
            context,
            folder / "context-changed",
            {"cicd-agent-application-change.txt": "a change to the application\n"},
        )
        again = Source(facts.head_source.root, changed, dockerfile, text, parsed)
        rebuilt = build(
            ctx, builder, again, folder / "image-changed", "advice after an application-only change"
        )
        kept = candidate.cached_step in rebuilt.cached
    return after, kept


def _context_with(context: Path, folder: Path, files: dict[str, str]) -> Path:
    """A copy of ``context`` in ``folder`` with ``files`` written into its top folder."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(context, folder, symlinks=True)
    for name, text in files.items():
        (folder / name).unlink(missing_ok=True)  # a link the context held is replaced, not followed
        (folder / name).write_text(text, encoding="utf-8")
    return folder
