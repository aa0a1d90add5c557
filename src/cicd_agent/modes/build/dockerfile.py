"""A Dockerfile read with BuildKit's own grammar (the ``dockerfile`` package wraps it), so
heredocs, line continuations and parser directives read as the builder reads them.

What the mode needs of it: the instructions of the stage that becomes the image (the last, or
``--target``), each with its line, and which of them made which history entry of the built image.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import dockerfile

from cicd_agent.modes.build.oci import Step

TEXT_LIMIT = 1024 * 1024
"""The largest Dockerfile read."""
TRANSPORTS = frozenset(
    {
        "oci",
        "oci-archive",
        "docker-archive",
        "docker-daemon",
        "dir",
        "containers-storage",
        "tarball",
        "ostree",
        "sif",
    }
)
"""buildah's transports that read an image from the machine (a folder, a tar, its own storage,
the docker engine) rather than a registry: ``FROM oci:/path``, ``COPY --from=dir:/path``."""
PLAIN_NAME = re.compile(r"(?!\.\.?$)[A-Za-z0-9._-]{1,100}")
"""A cache mount's ``id`` buildah resolves without passing through a folder of the cache."""
_VARIABLE = re.compile(r"\$(?:\{(\w+)(?::?([-+])([^}]*))?\}|(\w+))")


class DockerfileError(Exception):
    """A Dockerfile the grammar refuses."""


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword (``RUN``), its first line (1-based), its text as written,
    and the stage it is in (its ``AS`` name, else its index)."""

    keyword: str
    line: int
    end_line: int
    text: str
    stage: str
    flags: tuple[str, ...]
    values: tuple[str, ...]

    @property
    def short(self) -> str:
        """One line of at most 120 characters (a heredoc or continuation folded)."""
        flat = " ".join(self.text.split())
        return flat if len(flat) <= 120 else flat[:117] + "..."


@dataclass(frozen=True)
class Parsed:
    """Every instruction, and the stages by name in order."""

    instructions: tuple[Instruction, ...]
    stages: tuple[str, ...]

    def stage(self, target: str | None = None) -> list[Instruction]:
        """The instructions of the image's stage (``target`` or the last), its FROM first."""
        if not self.stages:
            return []
        name = target if target else self.stages[-1]
        if name not in self.stages:
            raise DockerfileError(f"the Dockerfile has no stage named {target!r}")
        return [i for i in self.instructions if i.stage == name]


def parse(text: str) -> Parsed:
    """``text`` read as BuildKit reads it."""
    if len(text) > TEXT_LIMIT:
        raise DockerfileError(f"the Dockerfile is over {TEXT_LIMIT} bytes")
    try:
        commands = dockerfile.parse_string(text)
    except dockerfile.GoParseError as exc:
        raise DockerfileError(f"the Dockerfile does not parse: {str(exc)[:200]}") from exc
    instructions: list[Instruction] = []
    stages: list[str] = []
    stage = ""
    for command in commands:
        keyword = command.cmd.upper()
        if keyword == "FROM":
            values = command.value
            named = len(values) >= 3 and values[-2].upper() == "AS"
            stage = values[-1] if named else str(len(stages))
            stages.append(stage)
        if not stage:
            continue  # an ARG before the first FROM: a build argument, not a step
        instructions.append(
            Instruction(
                keyword,
                command.start_line,
                command.end_line,
                command.original.rstrip(),
                stage,
                tuple(command.flags),
                tuple(command.value),
            )
        )
    return Parsed(tuple(instructions), tuple(stages))


def pair(instructions: Sequence[Instruction], steps: Sequence[Step]) -> dict[int, Step]:
    """Which history entry each instruction of the image's stage made, by instruction index.

    Matched from the end: the stage's last instruction made the last entry, and so on up to
    its FROM; the entries before are the base image's. BuildKit writes no entry for an ARG
    (buildah does), so an ARG takes an entry only when that entry says ARG."""
    paired: dict[int, Step] = {}
    at = len(steps) - 1
    for index in range(len(instructions) - 1, -1, -1):
        instruction = instructions[index]
        if instruction.keyword == "FROM" or at < 0:
            break
        if instruction.keyword == "ARG" and "ARG " not in steps[at].created_by:
            continue
        paired[index] = steps[at]
        at -= 1
    return paired


def _expand(value: str, known: Mapping[str, str]) -> str:
    """``value`` with its ``$NAME``, ``${NAME}``, ``${NAME:-word}`` and ``${NAME:+word}`` put in
    as the builder would (an unknown name is empty)."""

    def one(found: re.Match[str]) -> str:
        name = found.group(1) or found.group(4)
        given = known.get(name, "")
        if found.group(2) == "-":
            return given or found.group(3)
        if found.group(2) == "+":
            return found.group(3) if given else ""
        return given

    return _VARIABLE.sub(one, value)


UNKNOWN = "\x00"
"""What a variable an ``ENV`` of the Dockerfile sets reads as here: only the builder knows it
(never one plain name, never empty)."""


def _commands(
    text: str, build_args: Sequence[tuple[str, str]]
) -> Iterator[tuple[dockerfile.Command, Mapping[str, str]]]:
    """Each instruction but ``ARG``, with the build arguments known at it (given, else their
    defaults; a name an earlier ``ENV`` set, in any stage: :data:`UNKNOWN`)."""
    given = dict(build_args)
    known: dict[str, str] = {}
    for command in dockerfile.parse_string(text):
        if command.cmd.upper() == "ARG":
            for declared in command.value:
                name, _, default = declared.partition("=")
                if known.get(name) != UNKNOWN:
                    known[name] = given.get(name, default)
            continue
        if command.cmd.upper() == "ENV":
            known.update(dict.fromkeys(command.value[::2], UNKNOWN))
        yield command, known


def heredocs(text: str) -> list[str]:
    """The first line of each instruction that carries a heredoc (``RUN <<EOF``), as written.
    buildah before 1.33 reads no heredoc: it runs that first line alone and each line of the
    body as an instruction of its own, which no check here reads as one (a body's ``RUN
    --mount`` or ``FROM oci:/path``), and whose history entries shift every pairing
    (:func:`pair`)."""
    return [
        command.original.split("\n", 1)[0]
        for command in dockerfile.parse_string(text)
        if command.heredocs
    ]


def _mount(flag: str, known: Mapping[str, str]) -> dict[str, list[str]]:
    """A ``--mount=`` flag's options, each with every value it is given (a key given twice
    keeps both: which one buildah keeps is not ours to guess), build arguments put in."""
    options: dict[str, list[str]] = {}
    for part in flag.removeprefix("--mount=").split(","):
        key, _, value = part.partition("=")
        options.setdefault(key.strip().lower(), []).append(_expand(value, known).strip())
    return options


def machine_images(text: str, build_args: Sequence[tuple[str, str]] = ()) -> list[str]:
    """Each image a ``FROM``, a ``--from`` or a mount's ``from=`` reads through one of
    :data:`TRANSPORTS` (from the machine's files or engine, never a registry), its build
    arguments put in: a pull request's Dockerfile must not read the runner's folders or the
    images other jobs left there."""
    found: list[str] = []
    for command, known in _commands(text, build_args):
        named = [command.value[0]] if command.cmd.upper() == "FROM" and command.value else []
        for flag in command.flags:
            if flag.startswith("--from="):
                named.append(flag.removeprefix("--from="))
            if flag.startswith("--mount="):
                named.extend(_mount(flag, {}).get("from", []))
        for image in named:
            expanded = _expand(image, known).strip()
            transport = expanded.split(":", 1)[0].lower() if ":" in expanded else ""
            if transport in TRANSPORTS:
                found.append(expanded)
    return found


OWN_FRONTEND = re.compile(
    r"(?:docker\.io/)?docker/dockerfile(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?"
)
"""The Dockerfile frontend BuildKit ships (``# syntax=docker/dockerfile:1``), by tag or digest."""
_DIRECTIVE = re.compile(r"\s*(?:#|//)\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*?)\s*")
"""A directive line in either spelling BuildKit reads: ``# syntax=`` or ``// syntax=``."""


def other_frontends(text: str) -> list[str]:
    """Each ``# syntax=`` parser directive above the first instruction that names a frontend
    other than :data:`OWN_FRONTEND`. BuildKit pulls the image a ``syntax`` line names and lets
    it decide what the Dockerfile means and which steps its progress reports as cached: a pull
    request's frontend would write the report this mode reads. A directive BuildKit ignores (a
    second one, one after a blank line) is counted too: refusing more than it reads is safe.
    BuildKit also reads ``// syntax=`` lines, and a whole file that is a JSON object with a
    ``syntax`` key."""
    text = text.removeprefix("\ufeff")
    found = _json_syntax(text)
    for line in text.split("\n"):
        if line.strip() and not line.lstrip().startswith(("#", "//")):
            break
        directive = _DIRECTIVE.fullmatch(line)
        if (
            directive
            and directive[1].lower() == "syntax"
            and not OWN_FRONTEND.fullmatch(directive[2])
        ):
            found.append(directive[2])
    return found


def _json_syntax(text: str) -> list[str]:
    """The ``syntax`` of a Dockerfile that is a JSON object (BuildKit's third spelling), below
    a ``#!`` first line if there is one, which BuildKit sets aside first."""
    first, _, rest = text.partition("\n")
    try:
        document = json.loads(rest if first.startswith("#!") else text)
    except ValueError:
        return []
    if not isinstance(document, dict):
        return []
    named = [str(value) for key, value in document.items() if str(key).lower() == "syntax"]
    return [value for value in named if not OWN_FRONTEND.fullmatch(value)]


def registry_images(text: str, build_args: Sequence[tuple[str, str]] = ()) -> list[str]:
    """Each image a ``FROM`` or a ``--from`` names that a build takes from a registry, its build
    arguments put in, as written (a short name may be one the storage holds): not ``scratch``,
    not a stage of the Dockerfile (by name or number), not one read from the machine
    (:func:`machine_images`), not one an ``ENV`` decides."""
    stages: set[str] = set()
    found: list[str] = []
    for command, known in _commands(text, build_args):
        start = command.cmd.upper() == "FROM" and bool(command.value)
        named = [command.value[0]] if start else []
        named += [
            flag.removeprefix("--from=") for flag in command.flags if flag.startswith("--from=")
        ]
        for image in named:
            expanded = _expand(image, known).strip()
            transport = expanded.split(":", 1)[0].lower() if ":" in expanded else ""
            plain = expanded.lower() not in {*stages, "scratch", ""} and not expanded.isdigit()
            if plain and transport not in TRANSPORTS and UNKNOWN not in expanded:
                found.append(expanded)
        if start and len(command.value) == 3 and command.value[1].upper() == "AS":
            stages.add(_expand(command.value[2], known).strip().lower())
    return list(dict.fromkeys(found))


def qualified(image: str) -> str:
    """``image`` named with its registry as docker names it (and as the short-name settings
    of :mod:`.store` resolve it): ``python:3.11`` is ``docker.io/library/python:3.11``,
    ``team/app`` ``docker.io/team/app``; a first part with a dot, a port or ``localhost`` is a
    registry already."""
    first, slash, _ = image.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return image
    return f"docker.io/{image}" if slash else f"docker.io/library/{image}"


def mounts_through_the_machine(text: str, build_args: Sequence[tuple[str, str]] = ()) -> list[str]:
    """The ``RUN --mount`` flags buildah 1.28 resolves in the machine's files, following any
    link there (the fix for CVE-2024-1753 came in 1.35.1): a bind or cache mount ``from=`` a
    stage or image (a link a stage's ``RUN`` made leads to any folder of the runner), and a
    cache mount whose ``id`` (else its target) is not one plain name (``..`` climbs out of the
    build's cache folder; a sub-folder passes through a link an earlier ``RUN`` left there).
    Read so that any reading buildah makes is covered: a key given twice counts with each of
    its values, a type in any case, a value only the builder knows (an ``ENV``) as no name."""
    found: list[str] = []
    for command, known in _commands(text, build_args):
        for flag in command.flags:
            if not flag.startswith("--mount="):
                continue
            mount = _mount(flag, known)
            kinds = {kind.lower() for kind in mount.get("type", ["bind"])}
            names = mount.get("id") or mount.get("target") or mount.get("dst") or [""]
            staged = bool(kinds & {"bind", "cache"}) and any(mount.get("from", []))
            if staged or ("cache" in kinds and not all(map(PLAIN_NAME.fullmatch, names))):
                found.append(flag)
    return found
