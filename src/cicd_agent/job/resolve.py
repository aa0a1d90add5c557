"""Where a run starts: a mode's options, its common options, the repository's settings and the
event, resolved and read once.

The README's precedence is written here once: a flag, a workflow input,
``.github/cicd-agent.yml`` at the trusted commit, the default. The CLI and the command mode (for
the mode a comment runs) both call :func:`resolve_run`, so the two cannot drift; every value goes
through its option's own parser, whichever place it came from."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cicd_agent.actions import bounded_json
from cicd_agent.actions.deadline import DEFAULT_DEADLINE_MINUTES
from cicd_agent.actions.errors import UsageError, first_problem
from cicd_agent.actions.inputs import input_value, inputs_json
from cicd_agent.analysis.governing import CONFIG_PATH
from cicd_agent.job.flags import Option, OptionGroup, declared_by, options_of, validate_fail_on
from cicd_agent.job.options import Given, fill_unset
from cicd_agent.job.repo_config import RepoConfig, settings_by_section, trusted_commit
from cicd_agent.job.repo_config import load as load_repo_config

if TYPE_CHECKING:
    from cicd_agent.job.events import Event
    from cicd_agent.job.flags import ModeArguments

ACTION_OWN_INPUTS = frozenset(("mode", "github-token", "bot-login", "openai-api-key"))
"""The inputs of the action itself, no mode's option: which mode runs, and the tokens it runs
with. The other inputs ``action.yml`` declares are the options a mode marks as one
(:attr:`~cicd_agent.job.flags.Option.action_input`): one run's values, secrets and the few
every user sets."""

RETIRED_INPUTS = {
    "debug": "re-run the job with debug logging (RUNNER_DEBUG=1) for tracebacks",
    "python-version": "the action runs on its own Python",
    "keep-risk-cache": "deploy-gate always keeps its risk cache with actions/cache",
    "canary-release": "the action seals the canary state to the workflow's commit",
}
"""Inputs the action no longer takes and no setting replaces: the one-line reason for each."""


@dataclass(frozen=True)
class CommonOptions:
    """The resolved common options; each mode types its own (``ctx.mode_options``), and the
    model's settings are read from the given values once, by the run context
    (``model.provider``; ``model.config`` validates them)."""

    event_path: Path | None
    event_name: str | None
    repo_dir: Path
    deadline_minutes: float
    fail_on: str | None
    dry_run: bool
    json: bool
    debug: bool

    @classmethod
    def from_given(cls, given: Given, environ: Mapping[str, str]) -> CommonOptions:
        repo = given.path("repo")
        event_path = given.path("event") or _path_or_none(environ.get("GITHUB_EVENT_PATH"))
        repo_dir = repo or _path_or_none(environ.get("GITHUB_WORKSPACE")) or Path.cwd()
        if repo is not None and not repo.is_dir():
            what = "is not a folder" if repo.exists() else "does not exist"
            raise UsageError(f"--repo {repo} {what}.", hint="Point --repo at a checkout.")
        runner_debug = environ.get("RUNNER_DEBUG", "") == "1"
        fail_on = given.text("fail_on")
        return cls(
            event_path=event_path,
            event_name=given.text("event_name") or environ.get("GITHUB_EVENT_NAME") or None,
            repo_dir=repo_dir,
            deadline_minutes=_deadline(given.number("deadline_minutes")),
            fail_on=fail_on.strip().lower() if fail_on else None,
            dry_run=given.flag("dry_run"),
            json=given.flag("json"),
            debug=given.flag("debug") or runner_debug,
        )


MAX_DEADLINE_MINUTES = 525_600
"""A year: the longest deadline a clock can be set to here (``.inf`` or ``1e300`` overflowed
it, and the run crashed instead of saying so)."""


def _deadline(minutes: float | None) -> float:
    """The run's deadline in minutes (0: none); a negative value is a usage error, not "none",
    and so is one past :data:`MAX_DEADLINE_MINUTES`."""
    if minutes is None:
        return DEFAULT_DEADLINE_MINUTES
    if not 0 <= minutes <= MAX_DEADLINE_MINUTES:  # negative, NaN, endless or past a clock
        raise UsageError(
            f"deadline-minutes must be 0 (no deadline) up to {MAX_DEADLINE_MINUTES:,} "
            f"(a year), got {minutes:g}."
        )
    return minutes


def _path_or_none(value: str | None) -> Path | None:
    return Path(value).absolute() if value else None


SettingsFor = Callable[[CommonOptions, "str | None", date], "tuple[Event | None, RepoConfig]"]
"""Where a run's repository settings come from, given its common options, its ``base`` and its
day: the event loaded to find the trusted commit (None when it was not), and the settings."""


@dataclass(frozen=True)
class ResolvedRun:
    """What a run was asked to do, before the mode types its own options."""

    mode: str
    fail_on_choices: tuple[str, ...]
    """The values ``fail-on`` may take (the mode's ``arguments``), checked again by ``begin``."""
    common: CommonOptions
    given: Given
    """Every declared option's value, by precedence (None: nothing gave one)."""
    settings: RepoConfig
    event: Event | None
    """The event loaded to find the trusted commit; None when it did not load (the mode then
    reports the bad event itself, with its fail-closed outputs)."""
    environ: Mapping[str, str]
    today: date
    """The run's one day: the settings' quarantine expiries were checked against it, and the
    steps read it (``RunContext.today``)."""


def parse_flags(
    parser: argparse.ArgumentParser, argv: Sequence[str], groups: Sequence[OptionGroup]
) -> dict[str, object]:
    """What the command line gave: each declared option's value, where one was given."""
    args = parser.parse_args(list(argv))
    found: dict[str, object] = {}
    for option in options_of(groups):
        value = getattr(args, option.dest, None)
        repeated = option.repeat and isinstance(value, list)  # one text, one a line
        found[option.dest] = "\n".join(map(str, value)) if repeated and value else value
    return {dest: value for dest, value in found.items() if value is not None and value != []}


def resolve_run(
    mode: str,
    arguments: ModeArguments,
    flags: Mapping[str, object],
    environ: Mapping[str, str],
    *,
    settings_for: SettingsFor | None = None,
    today: date | None = None,
    plugin_sections: Mapping[str, frozenset[str]] | None = None,
) -> ResolvedRun:
    """Resolve ``mode``'s run in the README's order (``settings_for``: where the settings come
    from, when not the trusted commit). ``today``: the run's day (a nested run's is its
    parent's), read from the clock once when not given."""
    options = tuple(options_of(declared_by(arguments)))
    values = {option.dest: flags.get(option.dest) for option in options}
    fill_unset(options, values, lambda name: input_value(environ, name), "input {!r}".format)
    if not arguments.FAIL_ON_CHOICES and (input_value(environ, "fail-on") or "").strip():
        validate_fail_on(str(input_value(environ, "fail-on")), (), mode)
    early = CommonOptions.from_given(Given(values), environ)
    base = values.get("base")
    stated = [dest for dest, value in values.items() if value is not None]
    find = settings_for or _trusted_settings(mode, plugin_sections)
    today = today or datetime.now(UTC).date()
    event, settings = find(early, base if isinstance(base, str) else None, today)
    if settings.source is not None:
        _apply_settings(options, values, settings, mode, arguments.FAIL_ON_CHOICES)
    given = Given(values, stated=stated)
    return ResolvedRun(
        mode,
        arguments.FAIL_ON_CHOICES,
        CommonOptions.from_given(given, environ),
        given,
        settings,
        event,
        environ,
        today,
    )


def refuse_moved_inputs(
    mode: str,
    options: Sequence[Option],
    environ: Mapping[str, str],
    action_inputs: Callable[[], Collection[str]],
) -> None:
    """Exit 2 naming where an input the workflow still gives went: it would otherwise be ignored
    with only the runner's warning. Only the action's own inputs are checked (``INPUT_*`` stay
    the command line's way to pass any option); ``action_inputs`` is asked for only when needed."""
    given = inputs_json(environ)
    ours = ACTION_OWN_INPUTS | {option.name for option in options if option.action_input}
    others = sorted(
        name
        for name, value in given.items()
        if name not in ours and isinstance(value, str) and value.strip()
    )
    declared = frozenset(action_inputs()) if others else frozenset()
    for name in others:
        if name in declared:
            continue
        if name in RETIRED_INPUTS:
            raise UsageError(f"input `{name}` was removed: {RETIRED_INPUTS[name]}.")
        by_section = settings_by_section()
        sections = [section for section, keys in by_section.items() if name in keys]
        if sections:
            section = mode if mode in sections else sections[0]
            raise UsageError(f"input `{name}` moved to {CONFIG_PATH} `{section}.{name}`.")
        if any(name == option.name for option in options):
            raise UsageError(f"input `{name}` is not an action input: it is the CLI's --{name}.")
        raise UsageError(f"input `{name}` is not an input of cicd-agent (docs/inputs-outputs.md).")


def _apply_settings(
    options: Sequence[Option],
    values: dict[str, object],
    settings: RepoConfig,
    mode: str,
    fail_on_choices: tuple[str, ...],
) -> None:
    """Fill what flags and inputs left unset from the settings file; a ``fail-on`` it gives
    is checked here, so the error names the file."""
    assert settings.source is not None
    settled = values.get("fail_on") is not None  # by a flag or an input
    source = settings.source
    fill_unset(options, values, settings.inputs.get, lambda name: f"setting {name!r} in {source}")
    if not settled and "fail-on" in settings.inputs:
        where = f"setting 'fail-on' in {settings.source}"
        fail_on = values.get("fail_on")
        validate_fail_on(
            fail_on if isinstance(fail_on, str) else None, fail_on_choices, mode, where=where
        )


def _trusted_settings(
    mode: str, plugin_sections: Mapping[str, frozenset[str]] | None
) -> SettingsFor:
    """The repository's settings for ``mode``, read from the commit the run trusts (never the
    pull request's head, so a pull request cannot switch off or soften its own review)."""

    def find(
        early: CommonOptions, base: str | None, today: date
    ) -> tuple[Event | None, RepoConfig]:
        try:
            event = load_event(early.event_path, early.event_name)
        except UsageError:  # the mode reports a bad event itself, with its fail-closed outputs
            return None, RepoConfig()
        return event, load_repo_config(
            early.repo_dir, trusted_commit(event, base), mode, today, plugin_sections
        )

    return find


PAYLOAD_HINT = "Point --event (or GITHUB_EVENT_PATH) at the webhook payload JSON of the run."


def load_event(path: Path | None, event_name: str | None) -> Event:
    """Read and validate the event file (``GITHUB_EVENT_NAME`` as ``event_name`` when known);
    ``path`` None gives an empty Event, and a mode that needs one says so. The payload's shapes
    bring pydantic, so they are imported only when a file is read."""
    from cicd_agent.job.events import Event, event_from, infer_event_name

    if path is None:
        return Event(name=event_name or None, path=None)
    from pydantic import ValidationError  # the payload's views are read with it

    raw = _read_object(path)
    name = event_name or infer_event_name(raw)
    try:
        return event_from(name, path, raw)
    except ValidationError as err:
        raise UsageError(
            f"Event file {path} is not a valid {name} payload: {first_problem(err, 'payload')}.",
            hint=PAYLOAD_HINT,
        ) from err


def _read_object(path: Path) -> dict[str, Any]:
    """Read a JSON object from ``path``, turning every way that can fail into a UsageError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise UsageError(f"Event file {path} does not exist.", hint=PAYLOAD_HINT) from err
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise UsageError(f"Event file {path} cannot be read: {reason}.", hint=PAYLOAD_HINT) from err
    try:
        raw = bounded_json.load(data)
    except bounded_json.JsonRefused as err:
        raise UsageError(
            f"Event file {path} is not valid JSON: {err}.", hint=PAYLOAD_HINT
        ) from None
    if not isinstance(raw, dict):
        raise UsageError(
            f"Event file {path} holds a JSON {_JSON_TYPES[type(raw)]}, not an object.",
            hint=PAYLOAD_HINT,
        )
    return raw


_JSON_TYPES: dict[type, str] = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}
