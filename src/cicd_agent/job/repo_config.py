"""The repository's own settings, ``.github/cicd-agent.yml``, read from a commit it trusts.

Teams keep path filters and guidance beside the code, reviewed like code. Never from the pull
request's head, which is the author's: a pull request must not switch off, narrow or soften its own
review. The same holds for the guidance files, which the review prompt fences as repository text,
never as instructions that outrank the deterministic verdict.

One section per mode, whose keys are the options the file may set
(:attr:`~cicd_agent.job.flags.Option.setting`), plus ``paths``, ``paths-ignore`` and
``path-instructions``. An unknown key or bad value is a usage error naming the key: a typo must
not quietly leave a safety switch at its default."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

from cicd_agent.actions.errors import UsageError
from cicd_agent.actions.masking import is_secret_name
from cicd_agent.analysis.governing import CODEOWNERS_PATHS, CONFIG_PATH, GUIDANCE_PATHS

if TYPE_CHECKING:
    from pathlib import Path

    import pathspec

    from cicd_agent.job.events import Event
    from cicd_agent.job.flags import Option

SCHEMA_FILE = "data/cicd-agent.schema.json"
_OTHER_SPELLING = ".github/cicd-agent.yaml"
"""A settings file under this name would be silently ignored; it is an error that says so."""
PATH_KEYS = ("paths", "paths-ignore", "path-instructions")
QUARANTINE_KEY = "quarantine"
"""The list of quarantined tests, in the section of the mode whose ``arguments`` say
``KEEPS_QUARANTINE = True``: structured, so not an input (no flag sets it)."""
MAX_QUARANTINED = 200
MAX_QUARANTINE_DAYS = 366
"""How far ahead an expiry may be: a quarantine that never ends is a deleted test."""
MAX_TEST_ID = 300
PLACEHOLDER_OWNER = "@OWNER"
"""The owner analyse-failure's quarantine entry says, to be replaced: pasted as it is, nobody
would own the quarantine."""
_OWNER = re.compile(r"@?[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9._-]{1,100})?")
"""A GitHub login or ``org/team``, with or without its ``@``."""
MAX_CONFIG_BYTES = 64 * 1024
MAX_GUIDANCE_BYTES = 16 * 1024
"""Guidance beyond this is cut: it is advice for the model, and the prompt budget is shared."""
MAX_NODES = 5_000
"""YAML nodes accepted in the file; a settings file needs a few dozen, an alias bomb millions."""
_HINT = f"Fix {CONFIG_PATH} on the base branch (its JSON Schema ships as cicd-agent.schema.json)."


@dataclass(frozen=True)
class PathRules:
    """Which files a mode looks at, and the guidance for some of them."""

    include: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    instructions: tuple[tuple[str, str], ...] = ()

    def selects(self, path: str) -> bool:
        """False for a file ``paths-ignore`` removes or ``paths`` (when set) leaves out."""
        if self.include and not _spec(self.include).match_file(path):
            return False
        return not (self.ignore and _spec(self.ignore).match_file(path))


@dataclass(frozen=True)
class QuarantineEntry:
    """One quarantined test: who owns fixing it and the day its quarantine ends (it counts
    again from that day on)."""

    test: str
    owner: str
    expires: date


@dataclass(frozen=True)
class RepoConfig:
    """One mode's settings from the file, and where they came from (for the summary)."""

    source: str | None = None
    inputs: Mapping[str, str] = field(default_factory=dict)
    paths: PathRules = field(default_factory=PathRules)
    guidance: tuple[tuple[str, str], ...] = ()
    """``(file name, text)`` of the guidance files found at the trusted commit."""
    quarantine: tuple[QuarantineEntry, ...] = ()

    def guidance_for(self, paths: Collection[str]) -> str:
        """The repository's advice for a model looking at ``paths``: the guidance files, then
        each ``path-instructions`` entry that matches one of them, in file order. Empty when
        there is none."""
        parts = [f"From {name}:\n{text.strip()}" for name, text in self.guidance if text.strip()]
        parts += [
            f"For files matching `{glob}`:\n{text}"
            for glob, text in self.paths.instructions
            if any(_spec((glob,)).match_file(path) for path in paths)
        ]
        return "\n\n".join(parts)


def trusted_commit(event: Event, base: str | None) -> str | None:
    """The commit whose settings apply, never one the pull request's author wrote: a pull
    request's or merge group's base (``--base`` locally), the commit before a push (one rule for
    every event), else the default branch; None when none is known."""
    if base:
        return base
    if event.pull_request is not None:
        return event.pull_request.base.sha
    if event.merge_group is not None:  # the queue's base: the group is made on it
        return event.merge_group.base_sha
    if event.push is not None:
        before = event.push.before
        if before and set(before) != {"0"}:
            return before
        return None
    if event.repository is not None and event.repository.default_branch:
        return f"refs/remotes/origin/{event.repository.default_branch}"
    return None


def load(
    repo_dir: Path,
    commit: str | None,
    mode: str,
    today: date,
    plugin_sections: Mapping[str, frozenset[str]] | None = None,
) -> RepoConfig:
    """Read and check the file (and the guidance files) at ``commit``, its quarantine's
    expiries against the run's ``today``; empty when absent."""
    if commit is None:
        return RepoConfig()
    found = _committed(repo_dir, commit, (CONFIG_PATH, *GUIDANCE_PATHS, _OTHER_SPELLING))
    text = _text(found, CONFIG_PATH, MAX_CONFIG_BYTES + 1)  # too big: refused whole
    guidance = tuple(
        (name, shown)
        for name in GUIDANCE_PATHS
        if (shown := _text(found, name, MAX_GUIDANCE_BYTES)) is not None
    )
    if text is None:
        if _OTHER_SPELLING in found:
            raise UsageError(
                f"{_OTHER_SPELLING} is not read: cicd-agent reads its settings from {CONFIG_PATH}.",
                hint=f"Rename it to {CONFIG_PATH} on the base branch.",
            )
        return RepoConfig(guidance=guidance)
    return replace(
        parse(text, mode, today, plugin_sections),
        source=f"{CONFIG_PATH} at {commit[:12]}",
        guidance=guidance,
    )


def quarantine_at(
    repo_dir: Path,
    commit: str | None,
    today: date,
    plugin_sections: Mapping[str, frozenset[str]] | None = None,
) -> tuple[QuarantineEntry, ...]:
    """The quarantined tests at ``commit``, from every section whose mode keeps quarantine
    (``KEEPS_QUARANTINE``), so a reader names no mode; a test two sections list is listed once.
    The whole file is checked as :func:`load` checks it."""
    known = {**settings_by_section(), **(plugin_sections or {})}
    keepers = [section for section, keys in known.items() if QUARANTINE_KEY in keys]
    listed: dict[str, QuarantineEntry] = {}
    for keeper in keepers:
        for entry in load(repo_dir, commit, keeper, today, plugin_sections).quarantine:
            listed.setdefault(entry.test, entry)
    return tuple(listed.values())


def parse(
    text: str, mode: str, today: date, plugin_sections: Mapping[str, frozenset[str]] | None = None
) -> RepoConfig:
    """The section of ``mode`` from the file's text. Every section's keys are checked (this
    project's schema and ``plugin_sections``), so a typo in another mode's section is found on
    the first run of any mode. Values come back as strings, an action input's form, so the flag's
    own type checks them exactly as it checks that input."""
    document = _safe_yaml(text)
    if document is None:
        return RepoConfig()
    if not isinstance(document, dict):
        raise UsageError(f"{CONFIG_PATH} must be a mapping of mode sections.", hint=_HINT)
    known = {**settings_by_section(), **(plugin_sections or {})}
    for section, body in document.items():
        if section not in known:
            _unknown_section(section, known)
            continue
        if body is not None and not isinstance(body, dict):
            raise UsageError(f"{CONFIG_PATH}: {section} must be a mapping of settings.", hint=_HINT)
        for key in body or {}:
            if key not in known[section]:
                _unknown_setting(section, key, known[section])
    body = document.get(mode) or {}
    inputs = {
        str(key): _scalar(f"{mode}.{key}", value)
        for key, value in body.items()
        if key not in (*PATH_KEYS, QUARANTINE_KEY)
    }
    quarantine = _quarantine(f"{mode}.{QUARANTINE_KEY}", body.get(QUARANTINE_KEY), today)
    return RepoConfig(inputs=inputs, paths=_path_rules(mode, body), quarantine=quarantine)


def _unknown_setting(section: str, key: object, known: Collection[str]) -> NoReturn:
    """A key its section does not take: a near miss of one it does is named."""
    from difflib import get_close_matches  # only for a file with a wrong key

    close = get_close_matches(str(key), list(known), n=1, cutoff=0.75)
    meant = f": did you mean {section}.{close[0]}?" if close else ""
    raise UsageError(
        f"{CONFIG_PATH}: unknown setting {section}.{key!s}{meant} "
        "(per-run values and secrets cannot be set in this file).",
        hint=_HINT,
    )


def _unknown_section(section: object, known: Collection[str]) -> None:
    """A section no installed mode reads: a typo of one that is installed is an error (its
    settings would silently not apply); any other name is a mode not installed here (a plugin
    only some runs have), so a note on stderr says it is not read, and every mode still runs."""
    from difflib import get_close_matches  # only for a file with a section no mode reads

    close = get_close_matches(str(section), list(known), n=1, cutoff=0.75)
    if close:
        raise UsageError(
            f"{CONFIG_PATH}: unknown section {section!r}: did you mean {close[0]!r}?", hint=_HINT
        )
    import sys

    print(
        f"note: {CONFIG_PATH}: section {section!r} is not read: no installed mode has that name "
        f"(installed: {', '.join(known)}).",
        file=sys.stderr,
    )


def section_keys(options: Iterable[Option]) -> frozenset[str]:
    """The keys a mode's section takes: its options the file may set
    (:attr:`~cicd_agent.job.flags.Option.setting`), never one whose name says it holds a
    secret, and the path keys every section takes."""
    settable = (o.name for o in options if o.setting and not is_secret_name(o.name))
    return frozenset(settable) | frozenset(PATH_KEYS)


@cache
def settings_by_section() -> dict[str, frozenset[str]]:
    """Each section's allowed keys, from the schema that ships with the package."""
    # Imported here: importlib.resources is not cheap to import, and only a
    # settings file with keys needs the schema; the CLI imports this module on every run.
    from importlib.resources import files

    schema = json.loads(files("cicd_agent").joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))
    return {
        section: frozenset(body["properties"]) for section, body in schema["properties"].items()
    }


def _path_rules(mode: str, body: Mapping[str, Any]) -> PathRules:
    instructions = body.get("path-instructions") or {}
    if not isinstance(instructions, dict) or not all(
        isinstance(glob, str) and isinstance(text, str) for glob, text in instructions.items()
    ):
        raise UsageError(
            f"{CONFIG_PATH}: {mode}.path-instructions must map globs to text.", hint=_HINT
        )
    return PathRules(
        include=_globs(f"{mode}.paths", body.get("paths")),
        ignore=_globs(f"{mode}.paths-ignore", body.get("paths-ignore")),
        instructions=tuple((glob, text.strip()) for glob, text in instructions.items()),
    )


def _quarantine(name: str, value: object, today: date) -> tuple[QuarantineEntry, ...]:
    """The quarantined tests, each checked: a bad entry is refused whole, never half-read."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_QUARANTINED:
        raise UsageError(
            f"{CONFIG_PATH}: {name} must be a list of at most {MAX_QUARANTINED} "
            "entries `{test: ID, owner: '@login', expires: YYYY-MM-DD}`.",
            hint=_HINT,
        )
    entries: dict[str, QuarantineEntry] = {}
    for number, item in enumerate(value, 1):

        def refuse(why: str, where: str = f"{CONFIG_PATH}: {name} entry {number}") -> NoReturn:
            raise UsageError(where + why, hint=_HINT)

        if not isinstance(item, dict) or set(item) != {"test", "owner", "expires"}:
            refuse(" must have exactly test, owner and expires.")
        test, owner, expires = item["test"], item["owner"], item["expires"]
        if not isinstance(test, str) or not valid_test_id(test):
            refuse(
                f": test must be one test id as the runner prints it (up to {MAX_TEST_ID} "
                "printable characters, no `*` or `?`: an entry matches one test exactly)."
            )
        if not isinstance(owner, str) or not _OWNER.fullmatch(owner):
            refuse(": owner must be a GitHub login or org/team.")
        if owner.removeprefix("@") == PLACEHOLDER_OWNER.removeprefix("@"):
            refuse(
                f": owner must be a GitHub login or org/team; {PLACEHOLDER_OWNER} is the "
                "placeholder of the entry analyse-failure gives: name who fixes the test."
            )
        if isinstance(expires, str) and len(expires) == 10:
            with suppress(ValueError):
                expires = date.fromisoformat(expires)
        if not isinstance(expires, date) or isinstance(expires, datetime):
            refuse(": expires must be a date, YYYY-MM-DD.")
        if (expires - today).days > MAX_QUARANTINE_DAYS:
            refuse(
                f": expires {expires} is more than {MAX_QUARANTINE_DAYS} days away; choose a "
                "nearer date (it can be renewed)."
            )
        if test in entries:
            refuse(f": {test!r} is listed twice.")
        entries[test] = QuarantineEntry(test, owner.removeprefix("@"), expires)
    return tuple(entries.values())


def valid_test_id(test: str) -> bool:
    """A test as its runner names it, matched exactly: printable (no control, format or
    direction characters), no glob characters, bounded."""
    return 0 < len(test) <= MAX_TEST_ID and test.isprintable() and not {"*", "?"} & set(test)


def _globs(name: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise UsageError(f"{CONFIG_PATH}: {name} must be a list of globs.", hint=_HINT)
    _spec(tuple(value))  # a malformed pattern is refused now, not on the first file
    return tuple(value)


def _scalar(name: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    key = name.rpartition(".")[2]
    if isinstance(value, dict):
        written = json.dumps(value, separators=(", ", ": "))
        fix = f"write the mapping as one JSON string: `{key}: '{written}'`"
    elif isinstance(value, list):
        fix = f"write the list as one comma-separated string: `{key}: {', '.join(map(str, value))}`"
    else:
        fix = f"got {type(value).__name__}"
    raise UsageError(f"{CONFIG_PATH}: {name!r} must be a single value; {fix}.", hint=_HINT)


def _spec(patterns: Sequence[str]) -> pathspec.GitIgnoreSpec:
    import pathspec  # only when the file has globs: a costly import every run would pay

    try:
        return pathspec.GitIgnoreSpec.from_lines(patterns)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{CONFIG_PATH}: bad glob in {list(patterns)!r}: {exc}.") from exc


def _safe_yaml(text: str) -> object:
    """The document through the one bounded loader: a settings file needs a few dozen nodes,
    an alias bomb would need millions."""
    # Here, only when the repository has a settings file: yaml and the bounded loader are
    # imports a run without one should not pay for.
    import yaml

    from cicd_agent.analysis.bounded_yaml import YamlLimitError, YamlLimits, load, one_line

    try:
        limits = YamlLimits(max_bytes=MAX_CONFIG_BYTES, max_nodes=MAX_NODES)
        return load(text, limits, unique_keys=True)  # a second `review:` must not drop the first
    except YamlLimitError as exc:
        raise UsageError(f"{CONFIG_PATH} is refused: {exc}.", hint=_HINT) from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{one_line(exc, CONFIG_PATH)} (not valid YAML).", hint=_HINT) from None


def settings_text(repo_dir: Path, commit: str) -> str:
    """The settings file's text as ``commit`` has it, whole, to be edited; "" when there is
    none. A file the reader would refuse (too large, not UTF-8) is a :class:`UsageError`."""
    data = _committed(repo_dir, commit, (CONFIG_PATH,)).get(CONFIG_PATH, b"")
    if len(data) > MAX_CONFIG_BYTES:
        raise UsageError(f"{CONFIG_PATH} is larger than {MAX_CONFIG_BYTES:,} bytes", hint=_HINT)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{CONFIG_PATH} is not UTF-8 text", hint=_HINT) from None


def codeowners(repo_dir: Path, commit: str | None) -> str:
    """CODEOWNERS as committed in ``commit`` (the trusted one: a pull request's own file names
    no owner), where GitHub looks first; "" when there is none."""
    found = _committed(repo_dir, commit, CODEOWNERS_PATHS) if commit else {}
    for path in sorted(CODEOWNERS_PATHS, key=lambda path: not path.startswith(".github/")):
        text = _text(found, path, MAX_CONFIG_BYTES)
        if text is not None:
            return text
    return ""


def _committed(repo_dir: Path, commit: str, paths: Sequence[str]) -> dict[str, bytes]:
    """Those of ``paths`` that are files as committed in ``commit``, by one git process; none
    when the commit is not there."""
    from cicd_agent.local import git, git_ops  # only when a trusted commit is known

    if commit.startswith("-"):
        return {}
    try:
        return git_ops.blobs(
            git.in_checkout(repo_dir),
            commit,
            paths,
            timeout=30,
            base={"PATH": os.environ.get("PATH", "")},
        )
    except (OSError, git.GitTimedOut):
        return {}


def _text(found: Mapping[str, bytes], path: str, max_bytes: int) -> str | None:
    """The first ``max_bytes`` of ``path`` as text; None when it is not in ``found``."""
    data = found.get(path)
    return None if data is None else data[:max_bytes].decode("utf-8", errors="replace")
