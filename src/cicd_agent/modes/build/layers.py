"""What each Dockerfile instruction did to the image: bytes added, bytes wasted, cache, and how
a base build's layer compares with the head's, by their files (pure: values in, values out).

A layer's ``added`` bytes are the regular files it writes; its ``wasted`` bytes are those of its
files that a later layer overwrote or deleted (still shipped in the image, never seen in it).
Base and head instructions are paired by their text, and a pair compared by the files their
layers wrote (path, kind, mode, link and the bytes' sha256), not by the layers' digests: a
``COPY`` of the same files gets a new digest whenever a folder's time changes.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cicd_agent.modes.build.dockerfile import Instruction, pair
from cicd_agent.modes.build.oci import Step
from cicd_agent.modes.build.tree import FILE, Entry, ImageTree, Layer

METADATA = frozenset(
    {
        "ARG",
        "ENV",
        "LABEL",
        "CMD",
        "ENTRYPOINT",
        "EXPOSE",
        "USER",
        "WORKDIR",
        "VOLUME",
        "STOPSIGNAL",
        "HEALTHCHECK",
        "SHELL",
        "ONBUILD",
        "MAINTAINER",
    }
)
"""Instructions that change the image's settings, never its files (WORKDIR may make one empty
folder)."""
DEPENDENCY_FILES = (
    "requirements",
    "package.json",
    "package-lock",
    "yarn.lock",
    "pnpm-lock",
    "poetry.lock",
    "pyproject.toml",
    "Pipfile",
    "uv.lock",
    "go.mod",
    "go.sum",
    "Cargo.",
    "Gemfile",
    "pom.xml",
    "build.gradle",
    "composer.",
    "setup.py",
    "setup.cfg",
    "*.csproj",
    "packages.config",
)
"""Words in a COPY's sources that name a dependency manifest (a change to one reinstalls the
dependencies: a full rebuild, not an application-only one)."""


@dataclass(frozen=True)
class Row:
    """One instruction of the image's stage as built."""

    index: int
    instruction: Instruction
    layer: int | None
    added: int
    wasted: int
    cached: bool


@dataclass(frozen=True)
class Built:
    """One built image as the analysis reads it."""

    tree: ImageTree
    steps: tuple[Step, ...]
    instructions: tuple[Instruction, ...]
    cached: frozenset[int]
    """Steps of the stage the builder's cache gave, 1-based with FROM as 1."""
    image: str = ""
    """The builder's name for the image, to run a command in it ("": none can be run)."""

    @property
    def size(self) -> int:
        return sum(layer.size for layer in self.tree.layers)


def wasted_by_layer(tree: ImageTree) -> dict[int, int]:
    """Per layer, the bytes of its files that are not in the final image as it wrote them."""
    waste: dict[int, int] = {}
    for layer in tree.layers:
        lost = sum(
            entry.size
            for path, entry in layer.entries.items()
            if entry.kind == FILE and tree.files.get(path) is not entry
        )
        waste[layer.index] = lost
    return waste


def hidden_later(tree: ImageTree, layers: Sequence[int]) -> dict[tuple[int, int], int]:
    """For the ``layers`` given (in build order), the bytes of each one's files that the first
    later one of them removes by a whiteout (the file's own, a folder's above it, an opaque
    folder's above it, the root's), by pair of layer indexes. Each file is looked up once, by
    its folders, in an index of every whiteout: a Dockerfile of many RUN lines costs its files,
    not its files once per later RUN."""
    removing: dict[str, list[int]] = {}  # a whiteout → the positions in ``layers`` writing it
    for position, index in enumerate(layers):
        for name in tree.layers[index].deleted:
            removing.setdefault(name, []).append(position)
    found: dict[tuple[int, int], int] = {}
    for position, index in enumerate(layers):
        for path, entry in tree.layers[index].entries.items():
            if entry.kind != FILE:
                continue
            parts = path.split("/")
            names = [
                "/",
                *("/".join(parts[:n]) + end for n in range(1, len(parts) + 1) for end in ("", "/")),
            ]
            later = [
                by[at]
                for by in map(removing.get, names)
                if by is not None
                if (at := bisect.bisect_right(by, position)) < len(by)
            ]
            if later:
                pair = (index, layers[min(later)])
                found[pair] = found.get(pair, 0) + entry.size
    return found


def rows(built: Built) -> list[Row]:
    """Each instruction of the stage after its FROM, with what its layer did."""
    paired = pair(built.instructions, built.steps)
    waste = wasted_by_layer(built.tree)
    found = []
    for index, instruction in enumerate(built.instructions):
        if instruction.keyword == "FROM":
            continue
        step = paired.get(index)
        layer = step.layer if step is not None else None
        added = built.tree.layers[layer].size if layer is not None else 0
        found.append(
            Row(
                index,
                instruction,
                layer,
                added,
                waste.get(layer, 0) if layer is not None else 0,
                index + 1 in built.cached,
            )
        )
    return found


def signature(
    layer: Layer | None, hashed: bool = True
) -> frozenset[tuple[str, str, int, str, str]]:
    """A layer's files as compared across builds (none for no layer): path, kind, permission
    bits, link, a regular file's sha256 (or, not ``hashed``, its size: two files whose sizes
    differ differ in their sha256 too, and need not be read). Folders are left out (their
    times and the folders a RUN touches in passing are noise)."""
    if layer is None:
        return frozenset()
    return frozenset(
        (
            path,
            entry.kind,
            entry.mode & 0o7777,
            entry.link,
            entry.digest if hashed else str(entry.size) if entry.kind == FILE else "",
        )
        for path, entry in layer.entries.items()
        if entry.kind != "dir"
    ) | frozenset((f"-{gone}", "deleted", 0, "", "") for gone in layer.deleted)


def same_layer_files(first: Layer | None, second: Layer | None) -> bool:
    """Whether two layers write the same files (:func:`signature`). One layer object is the
    same blob read once (:data:`.tree.Known`); sizes are compared before any file is read."""
    if first is second:
        return True
    return signature(first, hashed=False) == signature(second, hashed=False) and (
        signature(first) == signature(second)
    )


def pair_instructions(base: Sequence[Instruction], head: Sequence[Instruction]) -> dict[int, int]:
    """head instruction index → base instruction index, for the instructions whose text is
    the same in both, in order (a diff of the two lists)."""
    matcher = difflib.SequenceMatcher(
        a=[" ".join(i.text.split()) for i in base],
        b=[" ".join(i.text.split()) for i in head],
        autojunk=False,
    )
    paired: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            paired[block.b + offset] = block.a + offset
    return paired


@dataclass(frozen=True)
class Comparison:
    """The head's rows, each with its base counterpart's bytes (None: no counterpart) and
    whether the two layers hold the same files."""

    head: list[Row]
    base_added: Mapping[int, int | None]
    same_files: Mapping[int, bool]


def compare(base: Built | None, head: Built) -> Comparison:
    head_rows = rows(head)
    base_added: dict[int, int | None] = {}
    same: dict[int, bool] = {}
    if base is None:
        return Comparison(head_rows, base_added, same)
    base_rows = {row.index: row for row in rows(base)}
    by_text = pair_instructions(base.instructions, head.instructions)
    for row in head_rows:
        counterpart = base_rows.get(by_text.get(row.index, -1))
        if counterpart is None:
            base_added[row.index] = None
            same[row.index] = False
            continue
        base_added[row.index] = counterpart.added
        same[row.index] = same_layer_files(_layer(base, counterpart), _layer(head, row))
    return Comparison(head_rows, base_added, same)


def _layer(built: Built, row: Row) -> Layer | None:
    return built.tree.layers[row.layer] if row.layer is not None else None


def is_dependency_copy(instruction: Instruction) -> bool:
    """A COPY or ADD of a dependency manifest from the context."""
    sources = instruction.values[:-1]
    return any(word.strip("*") in source for source in sources for word in DEPENDENCY_FILES)


def strategy(head_rows: Sequence[Row]) -> str:
    """``cached`` when the builder's cache gave every step up to the first rebuilt one and
    that one brings the application in (a COPY or ADD from the context, not of a dependency
    manifest): only application layers were rebuilt. ``full`` otherwise."""
    for row in head_rows:
        if row.cached or row.instruction.keyword in METADATA:
            continue
        copies = row.instruction.keyword in ("COPY", "ADD")
        from_context = not any(flag.startswith("--from") for flag in row.instruction.flags)
        if copies and from_context and not is_dependency_copy(row.instruction):
            return "cached"
        return "full"
    return "cached"


def entries_differing(
    before: Mapping[str, Entry], after: Mapping[str, Entry], allowed: Sequence[str]
) -> list[str]:
    """Paths whose file differs between two final trees, outside the ``allowed`` prefixes
    (kind, permission bits, link, sha256: an entry two trees share, as a layer they share
    gives, is the same, and files of different sizes differ before either is read)."""

    def key(entry: Entry) -> tuple[str, int, str, int]:
        return (
            entry.kind,
            entry.mode & 0o7777,
            entry.link,
            entry.size if entry.kind == FILE else 0,
        )

    differing = []
    for path in sorted(before.keys() | after.keys()):
        if path.startswith(tuple(allowed)):
            continue
        old, new = before.get(path), after.get(path)
        if old is None or new is None:
            present = old or new
            if present is not None and present.kind == "dir":
                continue
            differing.append(path)
        elif old is new or old.kind == "dir":
            continue
        elif key(old) != key(new) or old.digest != new.digest:
            differing.append(path)
    return differing
