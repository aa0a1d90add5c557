"""Modes are plugins: what a plugin declares, the registry that finds the installed ones, and the
command line's parser built from them.

A mode is a package registered under the entry-point group ``cicd_agent.modes``, naming a
:class:`ModePlugin` in its ``__init__``::

    [project.entry-points."cicd_agent.modes"]
    build = "cicd_agent.modes.build:PLUGIN"

The core never imports a mode: it asks :func:`installed_modes`. Only the names in ``__all__`` are
promised to a mode's ``arguments`` module (CONTRIBUTING, "A mode of your own").

Cheap to import on purpose: ``cicd-agent --help`` loads each plugin's declaration and the chosen
mode's ``arguments`` alone, so parsing costs little more than starting Python; the run-time API
(:mod:`cicd_agent.api`) and the mode's own modules load only when it runs."""

from __future__ import annotations

import argparse
import re  # argparse imports it: no cost

from cicd_agent import __version__
from cicd_agent.job.flags import (
    SEVERITY_NAMES,
    Option,
    OptionGroup,
    Parser,
    add_options,
    at_least,
    database_url,
    declared_by,
    options_of,
    path,
    severity_argument,
)

__all__ = [
    "SEVERITY_NAMES",
    "ModePlugin",
    "Option",
    "OptionGroup",
    "at_least",
    "database_url",
    "path",
    "plugin_sections",
    "severity_argument",
]
"""The promise to a plugin's author: what a mode's declaration and its ``arguments`` module are
built from, and what two or more modes share. The rest of this module is the registry the
command line (the core) reads, and the command mode reads to run another mode: not promised."""

TYPE_CHECKING = False  # not typing's: importing typing is a real share of --help's time
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    # A Protocol of type checks alone, never there at run time.
    from cicd_agent.job.flags import ModeArguments
    from cicd_agent.job.options import Given
    from cicd_agent.job.pipeline import Mode

    OptionsBuilder = Callable[[Given], object]

GROUP = "cicd_agent.modes"
"""The entry-point group every mode registers in."""

OWN_MODES = "cicd_agent.modes"
"""The package this project's own modes live in: the modes the action runs and the settings
schema that ships with the package describes. Modes of other distributions follow them in
``--help``."""


MODE_PARTS = ("name", "fail_closed_outputs", "run", "failure_outputs")
"""What a mode's ``MODE`` holds (:class:`cicd_agent.job.pipeline.Mode`), checked when it loads."""


class ModePlugin:
    """A mode's declaration. ``builder`` and ``reads_changes`` are ``module:attribute`` under
    ``package`` (``reads_changes``: a :class:`cicd_agent.job.change_reader.ReadsChanges`, "" when it
    offers none); ``order`` sorts ``--help``'s list within its distribution.

    The core imports three modules of the package by name, each on first use: ``arguments``
    (``FAIL_ON_CHOICES`` and ``OPTIONS``), the builder's, and ``mode`` (which declares ``MODE``,
    a :class:`cicd_agent.job.pipeline.Mode`)."""

    __slots__ = ("builder", "name", "order", "package", "reads_changes", "summary")

    def __init__(
        self,
        name: str,
        package: str,
        summary: str,
        builder: str,
        *,
        reads_changes: str = "",
        order: int = 0,
    ) -> None:
        self.name = name
        self.package = package
        self.summary = summary
        self.builder = builder
        self.reads_changes = reads_changes
        self.order = order

    def _module(self, name: str) -> Any:
        return __import__(f"{self.package}.{name}", fromlist=["_"])

    def _attribute(self, spec: str) -> Any:
        """What ``module:attribute.path`` names under the package; a spec that names nothing
        there is the plugin's mistake (:class:`PluginError`), not a bug of the run."""
        module, _, path = spec.partition(":")
        found = self._loaded(module)
        try:
            for attribute in path.split("."):
                found = getattr(found, attribute)
        except AttributeError:
            raise PluginError(self._broken(f"{spec!r} names nothing in {self.package}")) from None
        return found

    def _loaded(self, module: str) -> Any:
        """The package's ``module``. Another distribution's that does not load sets the mode
        aside (:meth:`_Registry.set_aside`); one of ours that raises on import is our bug, and
        says so."""
        try:
            return self._module(module)
        except (Exception, SystemExit) as exc:
            missing = (
                isinstance(exc, ModuleNotFoundError) and exc.name == f"{self.package}.{module}"
            )
            if self.own and not missing:
                raise
            why = f"its {module} module does not load ({type(exc).__name__}: {exc})"
            raise _INSTALLED.set_aside(self.name, why) from None

    def _broken(self, why: str) -> str:
        return f"The mode {self.name!r} is installed but cannot be loaded: {why}."

    def load(self) -> Mode:
        """The mode itself (its ``mode`` module's ``MODE``), checked to have what the command
        line calls: a plugin that lacks a part is named now (exit 2), not a crash mid-run."""
        mode: Mode = self._attribute("mode:MODE")
        lacking = [part for part in MODE_PARTS if not hasattr(mode, part)]
        lacking += [
            part
            for part in ("run", "failure_outputs")
            if part not in lacking and not callable(getattr(mode, part))
        ]
        if lacking:
            raise PluginError(self._broken(f"its MODE has no {' or '.join(lacking)}"))
        return mode

    def arguments(self) -> ModeArguments:
        """Its options declared as data (the ``arguments`` module). One missing, not loading or
        lacking ``FAIL_ON_CHOICES`` or ``OPTIONS`` is the plugin's mistake and sets the mode
        aside."""
        arguments: ModeArguments = self._loaded("arguments")
        lacking = [part for part in ("FAIL_ON_CHOICES", "OPTIONS") if not hasattr(arguments, part)]
        if lacking:
            why = f"its arguments module has no {' or '.join(lacking)}"
            raise _INSTALLED.set_aside(self.name, why)
        return arguments

    def options(self) -> OptionsBuilder:
        """What builds its frozen options from the given values."""
        builder: OptionsBuilder = self._attribute(self.builder)
        return builder

    def change_reader(self) -> object:
        """What reads a change for other modes (``reads_changes``), None when the mode offers
        none; the caller checks it against :class:`cicd_agent.job.change_reader.ReadsChanges`."""
        return self._attribute(self.reads_changes) if self.reads_changes else None

    @property
    def own(self) -> bool:
        """Whether this project ships the mode (it lives under :data:`OWN_MODES`)."""
        return self.package.startswith(f"{OWN_MODES}.")


class PluginError(Exception):
    """An installed distribution registers a mode that cannot be loaded: naming that mode is a
    usage error (exit 2, :func:`cicd_agent.cli.main`); every other mode still runs."""


class _Registry:
    """The installed modes, read once per process on first use: those that load, by name, and
    why each registered one that does not load cannot, in one line."""

    __slots__ = ("_broken", "_modes")

    def __init__(self) -> None:
        self._modes: dict[str, ModePlugin] | None = None
        self._broken: dict[str, str] = {}

    def modes(self) -> Mapping[str, ModePlugin]:
        """Every mode that loads, in :func:`installed_modes`' order."""
        if self._modes is None:
            self._modes = self._read()
        return self._modes

    def broken(self) -> Mapping[str, str]:
        """Each mode registered but not loadable: why."""
        self.modes()
        return self._broken

    def set_aside(self, name: str, why: str) -> PluginError:
        """Take ``name`` out of the modes that run, found broken after the registry was read: one
        line on stderr names it, the others run on, and choosing it is the usage error ``why``
        (returned for the caller to raise)."""
        import sys

        if self._modes is not None and self._modes.pop(name, None) is not None:
            self._broken[name] = why
            sys.stderr.write(f"cicd-agent: the mode {name!r} is set aside: {why}.\n")
        return PluginError(f"The mode {name!r} is installed but cannot be loaded: {why}.")

    def _read(self) -> dict[str, ModePlugin]:
        found: dict[str, ModePlugin] = {}
        points = registered(GROUP)
        ours = {name for name, value in points if value.startswith(f"{OWN_MODES}.")}
        for name, value in points:
            if name in ours and not value.startswith(f"{OWN_MODES}."):
                continue  # a mode this project ships keeps its name: another's is not read
            if name in found or name in self._broken:
                continue  # an editable install and a wheel of the same mode: the first wins
            module, _, attribute = value.partition(":")
            try:
                loaded = getattr(__import__(module.strip(), fromlist=["_"]), attribute.strip())
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - another's import: its own error
                self._broken[name] = f"its module does not load ({type(exc).__name__}: {exc})"
                continue
            unsound = _unsound(loaded, name)
            if unsound:
                self._broken[name] = unsound
                continue
            found[name] = loaded
        listed = sorted(found.values(), key=lambda mode: (not mode.own, mode.order, mode.name))
        return {mode.name: mode for mode in listed}


_INSTALLED = _Registry()

_DECLARED_TEXT = ("name", "package", "summary", "builder", "reads_changes")


def _unsound(loaded: object, name: str) -> str:
    """Why ``loaded`` is no declaration of the mode ``name`` (""): not a :class:`ModePlugin` of
    that name, or one of a wrong part's type, which would stop every mode the registry sorts by
    it."""
    if not isinstance(loaded, ModePlugin):
        return f"it is not a ModePlugin named {name!r}"
    wrong = [part for part in _DECLARED_TEXT if type(getattr(loaded, part, None)) is not str]
    if wrong:
        return f"its declaration's {' and '.join(wrong)} is not text"
    if type(loaded.order) is not int:
        return "its declaration's order is not a whole number"
    if loaded.name != name:
        return f"it is not a ModePlugin named {name!r}"
    return ""


def own_modes() -> tuple[str, ...]:
    """The installed modes this project ships (:attr:`ModePlugin.own`), in ``--help``'s order:
    the settings schema's sections."""
    return tuple(name for name, mode in installed_modes().items() if mode.own)


def installed_modes() -> Mapping[str, ModePlugin]:
    """Every installed mode by name, this project's first, then by ``order`` and name; read once
    per process. A registration that does not load is set aside with its reason (:func:`plugin`
    names it): one broken distribution stops no other mode."""
    return _INSTALLED.modes()


def registered(group: str) -> list[tuple[str, str]]:
    """``(name, "module:attribute")`` of every entry point in ``group`` of :func:`installation`'s
    distributions, read from ``entry_points.txt`` directly: importing ``importlib.metadata``
    costs 50-65 ms, half of ``cicd-agent --help`` (the scan is 5 ms)."""
    import os

    points: list[tuple[str, str]] = []
    for folder in installation():
        try:
            entries = sorted(os.scandir(folder or "."), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if not entry.name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(entry.path, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            section = ""
            for raw in text.splitlines():
                line = raw.strip()
                if line.startswith("[") and line.endswith("]"):
                    section = line[1:-1].strip()
                elif section == group and "=" in line and not line.startswith(("#", ";")):
                    name, _, value = line.partition("=")
                    points.append((name.strip(), value.strip()))
    return points


def installation() -> list[str]:
    """The folders of ``sys.path`` the installation put there: in a process open to the
    environment, what ``PYTHONPATH``, user site-packages and the current folder added is left
    out, so a checkout's folder never registers a mode."""
    import os
    import site
    import sys

    if sys.flags.isolated:
        return list(sys.path)
    added = {os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p}
    added |= {
        os.getcwd(),
        os.path.abspath(site.getuserbase()),
        os.path.abspath(site.getusersitepackages()),
    }
    return [
        folder
        for folder in sys.path
        if folder
        and os.path.abspath(folder) not in added
        and not os.path.abspath(folder).startswith(os.path.abspath(site.getuserbase()) + os.sep)
    ]


def plugin(name: str) -> ModePlugin:
    """The installed mode called ``name`` (KeyError when none is; :class:`PluginError` when
    one is registered but does not load)."""
    modes, broken = _INSTALLED.modes(), _INSTALLED.broken()
    if name in broken:
        raise PluginError(f"The mode {name!r} is installed but cannot be loaded: {broken[name]}.")
    return modes[name]


def build_parser(selected: str | None) -> argparse.ArgumentParser:
    """The CLI parser: every mode's one-line summary, and the options of ``selected`` alone
    (from its ``arguments`` module; the mode itself is not imported)."""
    parser = Parser(
        prog="cicd-agent",
        description="A guard-railed, model-assisted reasoning step for CI/CD. "
        "Runs offline with --provider none.",
        epilog="Exit codes: 0 ran · 1 a fail-on threshold was met · 2 usage or configuration "
        "error · 3 an external service failed.",
    )
    parser.add_argument("--version", action="version", version=f"cicd-agent {__version__}")
    parser.known_flags = ("-h", "--help", "--version")
    subparsers = parser.add_subparsers(dest="mode", metavar="MODE", parser_class=Parser)
    for name, entry in installed_modes().items():
        listed = entry.summary.replace("%", "%%")  # argparse formats the list's help with %
        sub = subparsers.add_parser(name, help=listed, description=entry.summary)
        if name == selected:
            groups = declared_groups(name)
            add_options(sub, groups)
            parser.mode_prog = sub.prog
            parser.known_flags = ("-h", "--help", *(o.flag for o in options_of(groups)))
    return parser


def declared_options(mode: str) -> tuple[Option, ...]:
    """Every option ``mode`` takes, common ones first, as declared (for the settings schema and
    the documentation tables, which list them without parsing anything)."""
    return tuple(options_of(declared_groups(mode)))


_OPTION_NAME = re.compile(r"[a-z][a-z0-9-]*")
"""An option's name: its flag (``--name``), its input and its settings key."""


def declared_groups(mode: str) -> tuple[OptionGroup, ...]:
    """``mode``'s option groups, the common ones first: what its parser and its run read."""
    entry = plugin(mode)
    arguments = entry.arguments()
    try:
        groups = declared_by(arguments)
        for group in groups:  # every caller walks them: a wrong one would stop every mode
            if not isinstance(group, OptionGroup):
                raise TypeError(f"OPTIONS holds a {type(group).__name__}, not an OptionGroup")
            wrong = [
                o
                for o in group.options
                if not (
                    isinstance(o, Option)
                    and isinstance(o.name, str)
                    and _OPTION_NAME.fullmatch(o.name)
                )
            ]
            if wrong:
                shown = getattr(wrong[0], "name", wrong[0])
                raise TypeError(
                    f"its group {group.title!r} holds {str(shown)[:80]!r}, which "
                    "is not an Option named by a lower-case word"
                )
        return groups
    except Exception as exc:  # noqa: BLE001 - a plugin's own declarations: any error is its own
        why = f"its options do not build ({type(exc).__name__}: {exc})"
        raise _INSTALLED.set_aside(mode, why) from None


def selected_mode(argv: list[str]) -> str | None:
    """The mode named on the command line (the first word that is one)."""
    modes, broken = _INSTALLED.modes(), _INSTALLED.broken()
    return next((arg for arg in argv if arg in modes or arg in broken), None)


def plugin_sections() -> dict[str, frozenset[str]]:
    """The settings-file section of each installed mode this project does not ship (ours are in
    the shipped schema), passed by every run that reads the settings file."""
    from cicd_agent.job.repo_config import (  # a run's path, not --help's
        QUARANTINE_KEY,
        section_keys,
    )

    sections = {}
    for name, entry in list(installed_modes().items()):
        if entry.own:
            continue
        try:
            keys = section_keys(declared_options(name))
        except PluginError:
            continue  # set aside, and said so: every other mode runs
        sections[name] = keys | ({QUARANTINE_KEY} if keeps_quarantine(name) else set())
    return sections


def keeps_quarantine(mode: str) -> bool:
    """Whether ``mode``'s settings section holds the quarantine list: its ``arguments`` say
    ``KEEPS_QUARANTINE = True`` (a mode of another distribution as well as one of ours)."""
    return bool(getattr(plugin(mode).arguments(), "KEEPS_QUARANTINE", False))
