"""Requirement files a build configuration names (setuptools' ``file:`` in ``setup.cfg``,
``dynamic`` ``{file = [...]}`` in ``pyproject.toml``): such a file is a dependency manifest whatever
its name.

Everything here is the pull request's text: setup.cfg is read strictly and pyproject.toml by the
bounded TOML reader; text that does not parse names nothing. A named path is kept only when it
stays inside the configuration's folder (setuptools refuses the others too)."""

from __future__ import annotations

import configparser
import posixpath
import re
from collections.abc import Iterable

from cicd_agent.analysis import bounded_toml

CONFIG_NAMES = ("setup.cfg", "pyproject.toml")
"""The build configurations whose ``file:`` names are read."""


class SetupCfgParser(configparser.RawConfigParser):
    def optionxform(self, optionstr: str) -> str:
        """setuptools reads ``install-requires`` as ``install_requires``: so does this, and
        two keys differing only so clash (a key read twice does not parse)."""
        return optionstr.lower().replace("-", "_")


def _inside(folder: str, named: str) -> str | None:
    """``named`` resolved from ``folder`` (both relative to the repository), or None when it
    is absolute, empty or climbs out of ``folder``."""
    # ``:`` and ``\\`` are a file name's characters on the Linux a build runs on.
    if not named or "\0" in named or named.startswith("/"):
        return None
    resolved = posixpath.normpath(named)
    if resolved == ".." or resolved.startswith("../") or resolved == ".":
        return None
    return posixpath.join(folder, resolved) if folder else resolved


_REFERENCE = re.compile(r"%\(([^)]*)\)s|%%")
MAX_EXPANDED = 1 << 20
"""Most characters a setup.cfg value expands to: references to references grow fast."""


def _expanded(parser: SetupCfgParser, section: str, value: str) -> str:
    """``value`` with its ``%(key)s`` references expanded, as setuptools' configparser does
    (at most 10 deep); a value growing past :data:`MAX_EXPANDED` does not parse."""
    budget = [MAX_EXPANDED]

    def expand(text: str, depth: int) -> str:
        if depth > 10:
            raise ValueError("references nested too deep")

        def one(match: re.Match[str]) -> str:
            if match[0] == "%%":
                return "%"
            raw = parser.get(section, parser.optionxform(match[1]))  # a missing key: Error
            said = expand(raw, depth + 1) if "%" in raw else raw
            budget[0] -= len(said)
            if budget[0] < 0:
                raise ValueError("expands past the bound")
            return said

        return _REFERENCE.sub(one, text)

    return expand(value, 0) if "%" in value else value


def _setup_cfg(text: str) -> Iterable[tuple[str, str]]:
    parser = SetupCfgParser(interpolation=None)
    parser.read_string(text)
    sections = [("options", key) for key in ("install_requires", "setup_requires", "tests_require")]
    if parser.has_section("options.extras_require"):
        sections += [
            ("options.extras_require", e) for e in parser.options("options.extras_require")
        ]
    for section, key in sections:
        value = _expanded(parser, section, parser.get(section, key, fallback="")).strip()
        if value.startswith("file:"):
            where = key if section == "options" else f"extras_require {key}"
            for named in value[len("file:") :].split(","):
                yield named.strip(), where  # as setuptools: a pyproject's names are as written


def _pyproject(text: str) -> Iterable[tuple[str, str]]:
    tool = bounded_toml.load(text).get("tool")
    setuptools = tool.get("setuptools") if isinstance(tool, dict) else None
    dynamic = setuptools.get("dynamic") if isinstance(setuptools, dict) else None
    if not isinstance(dynamic, dict):
        return
    found: list[tuple[str, object]] = [("dependencies", dynamic.get("dependencies"))]
    extras = dynamic.get("optional-dependencies")
    if isinstance(extras, dict):
        found += [(f"optional-dependencies {name}", spec) for name, spec in extras.items()]
    for where, spec in found:
        files = spec.get("file") if isinstance(spec, dict) else None
        for named in [files] if isinstance(files, str) else files or []:
            if isinstance(named, str):
                yield named, f"tool.setuptools.dynamic {where}"


MAX_SAID = 160
"""Most characters of what names a file, as a reason quotes it."""


def one_line(said: str) -> str:
    """``said`` on one line and at most :data:`MAX_SAID` characters: a path and an extra's name
    are the pull request's text, and TOML lets a quoted key hold line breaks."""
    flat = " ".join(said.split())
    return flat if len(flat) <= MAX_SAID else flat[: MAX_SAID - 1] + "…"


def named_files(config: str, text: str) -> dict[str, str]:
    """``path -> what names it`` (``setup.cfg's install_requires``) for each requirement file
    the configuration at ``config`` (a repository path) names; nothing for text that does not
    parse or a configuration of another name."""
    folder, _, name = config.rpartition("/")
    read = {"setup.cfg": _setup_cfg, "pyproject.toml": _pyproject}.get(name)
    found: dict[str, str] = {}
    if read is None:
        return found
    try:
        for named, where in read(text):
            if (path := _inside(folder, named)) is not None:
                found.setdefault(path, one_line(f"{config}'s {where}"))
    except (ValueError, configparser.Error, RecursionError):  # TomlRefused is a ValueError
        return {}
    return found
