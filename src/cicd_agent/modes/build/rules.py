"""The advice rules: each reads the head's Dockerfile (and, where it needs to, the head as
built) and proposes one changed Dockerfile, with how building it must be judged (``check``).
Pure: values in, candidates out; :mod:`advice` builds and measures them.

Checks, from strictest:
- ``same``: the final files are the same outside the allowed paths (lists, caches, ``/tmp``).
- ``fewer``: files may only go; every file kept is the same, and each package the Dockerfile
  names is still installed (apt's recommended packages dropped, nothing asked for).
- ``packages``: files may only go, each one a file of a package no longer installed, and no
  program kept names a shared library that went (the build tools dropped, nothing they built).
- ``ignored``: files may only go, each one under a name the proposed ``.dockerignore`` lists.
- ``pinned``: a digest pin of a local image (``--image``): the same files, no larger.
- ``registry``: not built: what it changes is the registry's to prove (a digest pin).
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cicd_agent.modes.build.dockerfile import Instruction
from cicd_agent.modes.build.layers import DEPENDENCY_FILES, Built, hidden_later, rows
from cicd_agent.modes.build.merge import merge
from cicd_agent.modes.build.types import Source

MOUNT = "/tmp/.cicd-agent-copy"  # noqa: S108 - a path inside the image being built
APT_INSTALL = re.compile(r"\bapt(?:-get)?\s+(?:-\S+\s+)*install\b")
APT_UPDATE = re.compile(r"\bapt(?:-get)?\s+(?:-\S+\s+)*update\b")
APT_OR_DPKG = re.compile(r"\b(?:apt|apt-get|aptitude|dpkg)\b")
BUILD_TOOLS = re.compile(
    r"^(?:build-essential|gcc(?:-\d+)?|g\+\+(?:-\d+)?|make|cmake|clang(?:-\d+)?|autoconf|automake"
    r"|libtool|pkg-config|pkgconf|[a-z0-9.+-]+-dev)$"
)
"""Debian packages needed to build software, not to run it."""
IGNORABLE = (
    ".git",
    ".github",
    ".gitlab-ci.yml",
    ".gitignore",
    ".vscode",
    ".idea",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    "Dockerfile",
    "docker-compose.yml",
    "docker-compose.yaml",
    "compose.yml",
    "compose.yaml",
)
"""Names in a context's top folder an image almost never needs."""
MOST_COPIES = 30
"""The most ``COPY --from`` lines a multi-stage proposal writes (more: it is not proposed)."""


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
    check: str = "same"
    """How the built change is judged (the module's docstring)."""
    packages: tuple[str, ...] = ()
    """For ``fewer``: the packages the Dockerfile names, which must stay installed."""
    context_files: dict[str, str] = field(default_factory=dict)
    """Files added to the build context's top folder (a ``.dockerignore``)."""
    suggestion_file: str = ""
    """When set, the suggestion is this whole file as it would be, not lines that replace the
    instruction's."""


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


def installed_names(command: str) -> list[str]:
    """The package names each ``apt-get install`` of ``command`` asks for (flags and
    ``name=version`` pins read; a word with a variable or a glob is not a name)."""
    names: list[str] = []
    for part in re.split(r"&&|;|\|\|", command.replace("\\\n", " ")):
        try:
            words = shlex.split(part)
        except ValueError:
            continue
        if not APT_INSTALL.search(" ".join(words)):
            continue
        after = words[words.index("install") + 1 :] if "install" in words else []
        for word in after:
            if word.startswith("-") or any(c in word for c in "$*?[]{}<>|`"):
                continue
            names.append(word.split("=", 1)[0])
    return names


def apt_lists(text: str, stage: Sequence[Instruction]) -> Iterator[Candidate]:
    """An ``apt-get install`` whose RUN leaves apt's lists in its layer. When an earlier RUN
    fetched them on its own (``RUN apt-get update``), cleaning them in the install's RUN cannot
    shrink the image (they stay in the earlier layer): that RUN is joined into the install's,
    which then updates, installs and cleans. Not proposed when two installs read one update's
    lists (cleaning after the first leaves the second none)."""
    updates = _separate_updates(stage)
    readers = Counter(update.line for update in updates.values() if update is not None)
    for instruction in stage:
        command = _shell(instruction)
        if not command or not APT_INSTALL.search(command) or "/var/lib/apt/lists" in command:
            continue
        update = updates.get(instruction.line)
        fetched = _shell(update) if update is not None else None
        if update is None:
            first, new, kept = instruction.line, f"RUN {command}", []
        elif fetched is None or readers[update.line] > 1 or "/var/lib/apt/lists" in fetched:
            continue
        else:
            first, new = update.line, f"RUN {fetched} \\\n    && {command}"
            kept = _lines(text)[update.end_line : instruction.line - 1]
        new += " \\\n    && rm -rf /var/lib/apt/lists/*"
        yield Candidate(
            "apt-lists-cleaned",
            first,
            _replace(text, first, instruction.end_line, [*kept, new]),
            "\n".join([*kept, new]),
        )


def _separate_updates(stage: Sequence[Instruction]) -> dict[int, Instruction | None]:
    """Each RUN that installs (by its line): the earlier RUN of the stage that fetched the
    lists it reads on a line of its own (an update with no install), or None (it updates
    itself, or nothing did)."""
    found: dict[int, Instruction | None] = {}
    last: Instruction | None = None
    for instruction in stage:
        if instruction.keyword != "RUN":
            continue
        updates = APT_UPDATE.search(instruction.text) is not None
        installs = APT_INSTALL.search(instruction.text) is not None
        if installs:
            found[instruction.line] = None if updates else last
        if updates:
            last = None if installs else instruction
    return found


def no_recommends(text: str, stage: Sequence[Instruction]) -> Iterator[Candidate]:
    """An ``apt-get install`` without ``--no-install-recommends``: apt also installs every
    package the named ones recommend."""
    for instruction in stage:
        command = _shell(instruction)
        if not command or not APT_INSTALL.search(command) or "--no-install-recommends" in command:
            continue
        if "APT::Install-Recommends" in command:
            continue
        new = "RUN " + APT_INSTALL.sub(lambda m: m.group(0) + " --no-install-recommends", command)
        yield Candidate(
            "apt-no-install-recommends",
            instruction.line,
            _replace(text, instruction.line, instruction.end_line, [new]),
            new,
            check="fewer",
            packages=tuple(installed_names(command)),
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


def run_then_delete(text: str, head: Built) -> Iterator[Candidate]:
    """A file one ``RUN`` writes that a later ``RUN`` deletes: it stays in the first one's
    layer. Both commands in one ``RUN`` write and remove it in one layer: with the ``RUN`` lines
    between (those alone between: all joined in order), else at the later one's place. Read from
    the head as built: the first layer's files the first later one's whiteouts hide (the file, or
    a folder above it: :func:`.layers.hidden_later`); the pair hiding the most bytes is proposed.
    """
    built = {
        row.layer: row for row in rows(head) if row.layer is not None and _shell(row.instruction)
    }
    wasted = hidden_later(head.tree, list(built))
    if not wasted or max(wasted.values()) == 0:
        return
    one, two = (built[layer].instruction for layer in max(wasted, key=lambda pair: wasted[pair]))
    between = [i for i in head.instructions if one.line < i.line < two.line]
    chain = [one, *between, two] if all(map(_shell, between)) else [one, two]
    new = "RUN " + " \\\n    && ".join(str(_shell(i)) for i in chain)
    kept = [] if len(chain) > 2 or not between else _lines(text)[one.end_line : two.line - 1]
    yield Candidate(
        "run-then-delete", one.line, _replace(text, one.line, two.end_line, [*kept, new]), new
    )


def dependencies_first(
    text: str, stage: Sequence[Instruction], context: Path
) -> Iterator[Candidate]:
    """``COPY . DIR`` before a RUN that reads a dependency manifest in the context: any change
    to the application reinstalls the dependencies. Copying the manifest first and installing
    before the rest keeps that layer cached."""
    for index, copy in enumerate(stage):
        if not _copies_everything(copy):
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
            moved = [copy_first, *_lines(later.text), *_lines(text)[copy.line - 1 : later.line - 1]]
            yield Candidate(
                "dependencies-before-copy",
                copy.line,
                _replace(text, copy.line, later.end_line, moved),
                "\n".join([copy_first, later.text, copy.text]),
                cached_step=stage.index(copy) + 2,  # the RUN, moved after the COPY
            )
            break


def _copies_everything(instruction: Instruction) -> bool:
    return (
        instruction.keyword in ("COPY", "ADD")
        and not instruction.flags
        and len(instruction.values) == 2
        and instruction.values[0] in (".", "./")
    )


def _manifests(context: Path) -> list[str]:
    try:
        names = sorted(entry.name for entry in context.iterdir() if entry.is_file())
    except OSError:
        return []
    return [name for name in names if any(word.strip("*") in name for word in DEPENDENCY_FILES)]


def dockerignore(stage: Sequence[Instruction], context: Path) -> Iterator[Candidate]:
    """``COPY .`` from a context with no ``.dockerignore``, holding names an image rarely
    needs (a checkout's ``.git``, editor folders, the Dockerfile itself)."""
    copy = next((i for i in stage if _copies_everything(i)), None)
    if copy is None or (context / ".dockerignore").exists():
        return
    try:
        present = sorted(name for name in IGNORABLE if (context / name).exists())
    except OSError:
        return
    if not present:
        return
    text = "\n".join([*present, ".dockerignore"]) + "\n"  # itself too, or COPY . copies it
    yield Candidate(
        "dockerignore",
        copy.line,
        "",
        text,
        check="ignored",
        context_files={".dockerignore": text},
        suggestion_file=".dockerignore",
    )


def digest_pin(
    text: str, stage: Sequence[Instruction], local: Mapping[str, str]
) -> Iterator[Candidate]:
    """A ``FROM`` of a registry image by tag: the tag may name another image tomorrow. When the
    workflow gave a local image for the name (``local``: name → its digest), the pin names that
    digest and is built: the same files from the same image prove it."""
    first = stage[0] if stage else None
    if first is None or first.keyword != "FROM" or not first.values:
        return
    image = first.values[0]
    if "@" in image or image == "scratch" or "$" in image:
        return
    if image in local:
        pinned = first.text.replace(image, f"{image}@{local[image]}", 1)
        yield Candidate(
            "base-pinned-by-digest",
            first.line,
            _replace(text, first.line, first.end_line, _lines(pinned)),
            pinned,
            check="pinned",
        )
        return
    yield Candidate(
        "base-pinned-by-digest",
        first.line,
        "",
        f"FROM {image}@sha256:<the digest the registry gives for {image}>",
        check="registry",
    )


def multi_stage(text: str, stage: Sequence[Instruction], head: Built) -> Iterator[Candidate]:
    """One stage that installs build tools (a compiler, ``-dev`` packages) and ships them: a
    second stage from the same base installs the rest and copies in what the later RUN lines
    made, file by file or by the folders they created."""
    if len(stage) < 3 or stage[0].keyword != "FROM" or len(stage[0].values) != 1:
        return
    install = next((i for i in stage if _shell(i) and APT_INSTALL.search(_shell(i) or "")), None)
    if install is None:
        return
    command = _shell(install) or ""
    tools = [name for name in installed_names(command) if BUILD_TOOLS.match(name)]
    later = stage[stage.index(install) + 1 :]
    if not tools or any(APT_OR_DPKG.search(i.text) for i in later if i.keyword == "RUN"):
        return
    copies = _made_by_runs(head, install)
    if copies is None or not copies:
        return
    kept_install = command.replace("\\\n", " ")  # one line: continuations would be stray
    for name in tools:
        kept_install = re.sub(rf"(?<=\s){re.escape(name)}(?=\s|$)", "", kept_install)
    if not [n for n in installed_names(kept_install) if n]:
        kept_install = ""  # nothing left to install
    final = [f"FROM {stage[0].values[0]}"]
    for instruction in stage[1:]:
        if instruction is install:
            final += [f"RUN {' '.join(kept_install.split())}"] if kept_install else []
        elif instruction.keyword == "RUN" and instruction.line > install.line:
            final += [
                f"COPY --from=build {path} {path}" for path in copies.get(instruction.line, ())
            ]
        else:
            final += _lines(instruction.text)
    lines = _lines(text)
    named = f"{lines[stage[0].line - 1].rstrip()} AS build"
    changed = "\n".join([*lines[: stage[0].line - 1], named, *lines[stage[0].line :], "", *final])
    yield Candidate(
        "multi-stage-build-tools",
        install.line,
        changed + "\n",
        changed + "\n",
        check="packages",
        suggestion_file="Dockerfile",
    )


def _made_by_runs(head: Built, install: Instruction) -> dict[int, list[str]] | None:
    """Per RUN line after ``install``, the paths to copy from the build stage: each folder its
    layer created, else each file it wrote. None when that is more than :data:`MOST_COPIES`.
    One pass over the layers from the first such RUN's up (the folders each had before)."""
    runs = {
        row.layer: row.instruction.line
        for row in rows(head)
        if row.instruction.keyword == "RUN"
        and row.instruction.line > install.line
        and row.layer is not None
    }
    if not runs:
        return {}
    first = min(runs)
    folders: set[str] = set()
    _add_folders(folders, merge(head.tree.layers[:first]))
    found: dict[int, list[str]] = {}
    total = 0
    for layer in head.tree.layers[first:]:
        if layer.index in runs:
            paths: set[str] = set()
            for path, entry in layer.entries.items():
                if entry.kind == "dir" or path.startswith(("tmp/", "var/", "root/.cache/")):
                    continue
                parts = path.split("/")
                prefixes = ("/".join(parts[:n]) for n in range(1, len(parts)))
                paths.add(next((prefix for prefix in prefixes if prefix not in folders), path))
            total += len(paths)
            if total > MOST_COPIES:
                return None
            found[runs[layer.index]] = ["/" + p for p in sorted(paths)]
        _add_folders(folders, layer.entries)
    return found


def _add_folders(folders: set[str], paths: Iterable[str]) -> None:
    """Every path of ``paths`` and every folder above one, into ``folders``."""
    for path in paths:
        at = path
        while at and at not in folders:
            folders.add(at)
            at = at.rpartition("/")[0]


def candidates(
    source: Source,
    target: str | None,
    head: Built | None = None,
    local: Mapping[str, str] | None = None,
) -> list[Candidate]:
    """Every rule's proposals for the image's stage, cheapest to build first; ``local``: the
    digest of the local image the workflow gave for a ``FROM`` name (``--image``)."""
    stage = source.parsed.stage(target)
    return [
        *copy_then_delete(source.text, stage),
        *(run_then_delete(source.text, head) if head is not None else ()),
        *dependencies_first(source.text, stage, source.context),
        *apt_lists(source.text, stage),
        *no_recommends(source.text, stage),
        *dockerignore(stage, source.context),
        *(multi_stage(source.text, stage, head) if head is not None else ()),
        *digest_pin(source.text, stage, local or {}),
    ]
