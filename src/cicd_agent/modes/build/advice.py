"""Dockerfile advice, proven by building it.

Each rule reads the head's Dockerfile and proposes a changed one. The change is built with the
same builder and cache as the head, and it stands (``verified``) only when the image is no
larger, its final files are the same outside :data:`ALLOWED` (apt's lists, caches, ``/tmp``),
and, for a rule about the cache, an application-only change (one new file in the context)
keeps the dependency layer cached. A change that fails to build or to meet one of those is
``refuted``; one that was not built (no time, a rule that needs a registry) is ``unchecked``.
"""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.api import CicdError, RunContext
from cicd_agent.modes.build.builder import Builder
from cicd_agent.modes.build.collect import build, make_builder
from cicd_agent.modes.build.dockerfile import Instruction, parse
from cicd_agent.modes.build.layers import DEPENDENCY_FILES, Built, entries_differing
from cicd_agent.modes.build.options import BuildOptions
from cicd_agent.modes.build.result import AdviceReport
from cicd_agent.modes.build.types import BuildFacts, Source

ALLOWED = (
    "var/lib/apt/lists/",
    "var/cache/apt/",
    "var/cache/debconf/",
    "var/log/",
    "tmp/",
    "root/.cache/",
    "root/.npm/",
    "var/cache/apk/",
)
"""Where a proven change may leave different files: lists, caches, logs and /tmp."""
MOUNT = "/tmp/.cicd-agent-copy"  # noqa: S108 - a path inside the image being built
MOST = 4
MANIFESTS = 1_000_000
"""Bytes a cache rule may add (the manifests it copies before the rest)."""
"""Candidates built in one run (each is one more build)."""
APT_INSTALL = re.compile(r"\bapt(?:-get)?\s+(?:-\S+\s+)*install\b")


@dataclass(frozen=True)
class Candidate:
    rule: str
    line: int
    dockerfile: str
    """The whole changed Dockerfile."""
    suggestion: str
    """The lines that replace the instruction's, as a suggestion shows them."""
    cached_step: int | None = None
    """The stage step (1-based, FROM 1) an application-only change must leave cached."""


def _lines(text: str) -> list[str]:
    return text.splitlines()


def _replace(text: str, first: int, last: int, new: Sequence[str]) -> str:
    lines = _lines(text)
    return "\n".join([*lines[: first - 1], *new, *lines[last:]]) + "\n"


def _shell(instruction: Instruction) -> str | None:
    """The command of a shell-form RUN without flags or heredocs, else None."""
    if instruction.keyword != "RUN" or instruction.flags or "<<" in instruction.text:
        return None
    body = instruction.text.split(None, 1)[1] if " " in instruction.text else ""
    return None if body.lstrip().startswith("[") else body.strip()


def apt_lists(text: str, stage: Sequence[Instruction]) -> Iterator[Candidate]:
    """An ``apt-get install`` whose RUN leaves apt's lists in its layer."""
    for instruction in stage:
        command = _shell(instruction)
        if command and APT_INSTALL.search(command) and "/var/lib/apt/lists" not in command:
            new = f"RUN {command} \\\n    && rm -rf /var/lib/apt/lists/*"
            yield Candidate(
                "apt-lists-cleaned",
                instruction.line,
                _replace(text, instruction.line, instruction.end_line, [new]),
                new,
            )


def copy_then_delete(text: str, stage: Sequence[Instruction]) -> Iterator[Candidate]:
    """A ``COPY`` of one file whose next instruction, a RUN, deletes it: the file stays in the
    COPY's layer. A bind mount brings it into the RUN alone."""
    for first, second in itertools.pairwise(stage):
        command = _shell(second)
        if first.keyword != "COPY" or first.flags or len(first.values) != 2 or not command:
            continue
        source, target = first.values
        if (
            target.endswith("/")
            or not target.startswith("/")
            or "rm " not in command
            or target not in command
        ):
            continue
        new = (
            f"RUN --mount=type=bind,source={source},target={MOUNT} cp {MOUNT} {target} && {command}"
        )
        yield Candidate(
            "copy-then-delete", first.line, _replace(text, first.line, second.end_line, [new]), new
        )


def dependencies_first(
    text: str, stage: Sequence[Instruction], context: Path
) -> Iterator[Candidate]:
    """``COPY . DIR`` before a RUN that reads a dependency manifest in the context: any change
    to the application reinstalls the dependencies. Copying the manifest first and installing
    before the rest keeps that layer cached."""
    for index, copy in enumerate(stage):
        if (
            copy.keyword != "COPY"
            or copy.flags
            or len(copy.values) != 2
            or copy.values[0] not in (".", "./")
        ):
            continue
        folder = copy.values[1].rstrip("/") or "/"
        for later in stage[index + 1 :]:
            command = _shell(later)
            manifests = [name for name in _manifests(context) if command and name in command]
            if not manifests:
                continue
            between = [i for i in stage[index + 1 :] if i.line < later.line]
            if any(i.keyword not in ("ENV", "ARG", "WORKDIR", "LABEL") for i in between):
                break
            copy_first = f"COPY {' '.join(manifests)} {folder}/"
            new = [copy_first, later.text, copy.text]
            lines = _lines(text)
            rest = lines[copy.end_line : later.line - 1]
            changed = (
                "\n".join(
                    [
                        *lines[: copy.line - 1],
                        copy_first,
                        *_lines(later.text),
                        *lines[copy.line - 1 : copy.end_line],
                        *rest,
                        *lines[later.end_line :],
                    ]
                )
                + "\n"
            )
            yield Candidate(
                "dependencies-before-copy",
                copy.line,
                changed,
                "\n".join(new),
                cached_step=stage.index(copy) + 2,  # the RUN, moved after the COPY
            )
            break


def _manifests(context: Path) -> list[str]:
    try:
        names = sorted(entry.name for entry in context.iterdir() if entry.is_file())
    except OSError:
        return []
    return [name for name in names if any(word.strip("*") in name for word in DEPENDENCY_FILES)]


def candidates(source: Source, target: str | None) -> list[Candidate]:
    stage = source.parsed.stage(target)
    found = [
        *copy_then_delete(source.text, stage),
        *dependencies_first(source.text, stage, source.context),
        *apt_lists(source.text, stage),
    ]
    return found


def prove(ctx: RunContext[BuildOptions], facts: BuildFacts) -> list[AdviceReport]:
    """Each candidate built and measured against the head."""
    options = ctx.mode_options
    builder = make_builder(ctx, facts.work)
    reports = []
    for number, candidate in enumerate(candidates(facts.head_source, options.target)):
        reports.append(_proven(ctx, builder, facts, candidate, number))
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
            why=why,
            **measured,
        )

    if number >= MOST:
        return report("unchecked", f"only {MOST} changes are built a run")
    try:
        after, kept = _measure(ctx, builder, facts, candidate, number)
    except CicdError as exc:
        return report("refuted", f"the changed Dockerfile did not build ({exc.message[:200]})")
    differing = entries_differing(facts.head.tree.files, after.tree.files, ALLOWED)
    # a rule about the cache copies a manifest twice: its bytes are the price of the cache
    smaller = after.size <= facts.head.size + (MANIFESTS if candidate.cached_step else 0)
    if differing:
        why = f"{len(differing)} files differ, the first {differing[0]}"
    elif not smaller:
        why = "the image grew"
    elif kept is False:
        why = "an application-only change still rebuilds the dependencies"
    else:
        why = "it builds the same files" + (" and keeps the cache" if kept else "")
    verified = smaller and not differing and kept is not False
    return report(
        "verified" if verified else "refuted", why, after, same_files=not differing, cache_kept=kept
    )


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
    dockerfile.write_text(candidate.dockerfile, encoding="utf-8")
    parsed = parse(candidate.dockerfile)
    source = Source(
        facts.head_source.root, facts.head_source.context, dockerfile, candidate.dockerfile, parsed
    )
    after = build(ctx, builder, source, folder / "image", f"advice {candidate.rule}")
    kept: bool | None = None
    if candidate.cached_step is not None:
        changed = folder / "context"
        shutil.rmtree(changed, ignore_errors=True)
        shutil.copytree(facts.head_source.context, changed, symlinks=True)
        (changed / "cicd-agent-application-change.txt").write_text("a change to the application\n")
        again = Source(facts.head_source.root, changed, dockerfile, candidate.dockerfile, parsed)
        rebuilt = build(
            ctx, builder, again, folder / "image-changed", "advice after an application-only change"
        )
        kept = candidate.cached_step in rebuilt.cached
    return after, kept
