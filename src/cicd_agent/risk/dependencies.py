"""A dependency change is a changed dependency: a manifest's or lock file's dependency entries at
the base and the head, compared entry by entry.

A release bumping the package's own version, a ``[tool.ruff]`` table or a classifier brings no
third-party code, so the dependency floor must not fire on it. Each reader returns
``name -> requirement`` for the entries that bring code (Python, npm, Composer, Go, Cargo and Maven
manifests, with ``${property}`` versions resolved, and the npm, Cargo, Poetry, uv and Go lockfiles);
nothing else is read.

Everything here is the pull request's text: each side read up to :data:`MAX_BYTES`, XML with no
DTD (no entity can expand); a file that does not parse, or has no reader, returns None and keeps
its dependency type."""

from __future__ import annotations

import configparser
import hashlib
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cicd_agent.analysis.named_manifests import SetupCfgParser

MAX_BYTES = 2_000_000
"""Most bytes of one side of a manifest or lock file read."""
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._\-\[\],]*)\s*(.*)$")


class Entries(dict[str, str]):
    """``name -> requirement``; a name read twice keeps both requirements (a change to either
    is a change)."""

    def add(self, name: str, value: str) -> None:
        self[name] = f"{self[name]} | {value}" if name in self else value


def _pep508(lines: Iterable[object]) -> Entries:
    entries = Entries()
    for line in lines:
        if isinstance(line, str) and (match := _NAME.match(line)):
            spec, _, marker = match[2].partition(";")
            name = match[1].lower().split("[")[0] + (
                f" ; {' '.join(marker.split())}" if marker else ""
            )
            entries.add(name, " ".join(spec.split()))
    return entries


def _table(data: object) -> Mapping[str, Any]:
    return data if isinstance(data, dict) else {}


def _locked(version: object, record: Mapping[str, Any], *, besides: tuple[str, ...]) -> str:
    """A locked package's entry: its version and where its code comes from (every field but
    ``besides``: the tarball or registry, its hash, its source). The same name and version
    from another place is other code, and a change to it is a dependency change."""
    origin = {key: value for key, value in record.items() if key not in besides}
    if not origin:
        return str(version)
    digest = hashlib.sha256(json.dumps(origin, sort_keys=True, default=str).encode()).hexdigest()
    return f"{version} (origin {digest[:10]})"


def _pyproject(text: str) -> Entries:
    data = tomllib.loads(text)
    project, tool = _table(data.get("project")), _table(data.get("tool"))
    entries = _pep508(project.get("dependencies") or [])
    for group, lines in _table(project.get("optional-dependencies")).items():
        for name, value in _pep508(lines or []).items():
            entries.add(f"{name} ({group})", value)
    for group, lines in _table(data.get("dependency-groups")).items():
        for name, value in _pep508(lines or []).items():
            entries.add(f"{name} ({group})", value)
    for name, value in _pep508(_table(data.get("build-system")).get("requires") or []).items():
        entries.add(f"{name} (build)", value)
    # where the code comes from: a source override, an index, a poetry source
    uv = _table(tool.get("uv"))
    for key, found in (
        ("uv.sources", uv.get("sources")),
        ("uv.index", uv.get("index")),
        ("poetry.source", _table(tool.get("poetry")).get("source")),
    ):
        if found:
            entries.add(f"({key})", json.dumps(found, sort_keys=True, default=str))
    poetry = _table(tool.get("poetry"))
    tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
    tables += [_table(g).get("dependencies") for g in _table(poetry.get("group")).values()]
    for table in tables:
        for name, spec in _table(table).items():
            entries.add(name.lower(), json.dumps(spec, sort_keys=True))
    return entries


_SETUP_CFG_KEYS = ("install_requires", "setup_requires", "tests_require")
"""``setup.cfg``'s ``[options]`` keys that list what is installed (setuptools' names), read
with ``python_requires`` and ``dependency_links`` (which Python, where from) and the extras;
its metadata (classifiers, description) and tools' sections (``[mypy]``, ``[flake8]``) are
configuration."""


def _setup_cfg(text: str) -> Entries:
    parser = SetupCfgParser(interpolation=None)  # strict: a key read twice fails
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise ValueError(f"setup.cfg does not parse: {exc}") from None

    def lines(section: str, key: str) -> list[str]:
        value = parser.get(section, key, fallback="")
        if "%" in value:  # setuptools interpolates `%(key)s`: the requirement is elsewhere
            raise ValueError("setup.cfg interpolates a requirement")
        return [line.split("#")[0].strip() for line in value.splitlines()]

    entries = Entries()
    for key in _SETUP_CFG_KEYS:
        for name, value in _pep508(lines("options", key)).items():
            entries.add(f"{name} ({key})", value)
    for key in ("python_requires", "dependency_links"):
        if value := " ".join(" ".join(lines("options", key)).split()):
            entries.add(f"({key})", value)
    if parser.has_section("options.extras_require"):
        for extra in parser.options("options.extras_require"):
            for name, value in _pep508(lines("options.extras_require", extra)).items():
                entries.add(f"{name} ({extra})", value)
    return entries


def _requirements(text: str) -> Entries:
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    entries = _pep508(line for line in lines if not line.startswith("-"))
    for line in lines:  # an index, a link, an included file: where the code comes from
        if line.startswith("-"):
            option, _, value = line.replace("=", " ", 1).partition(" ")
            entries.add(f"({option})", " ".join(value.split()))
    return entries


_JS_MAPS = (
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
    "bundleDependencies",
    "bundledDependencies",
    "overrides",
    "resolutions",
    "require",
    "require-dev",
)


def _js_manifest(text: str) -> Entries:
    data = _table(json.loads(text))
    entries = Entries()
    for key in _JS_MAPS:
        value = data.get(key)
        items = (
            value.items()
            if isinstance(value, dict)
            else ((n, "*") for n in value or [] if isinstance(n, str))
        )
        for name, spec in items:
            entries.add(f"{name} ({key})", json.dumps(spec))
    return entries


def _npm_lock(text: str) -> Entries:
    data = _table(json.loads(text))
    packages = _table(data.get("packages")) or _table(data.get("dependencies"))
    entries = Entries()
    for key, found in packages.items():
        info = _table(found)
        # "" is the package itself and a workspace is its own code: only installed packages.
        if (
            key
            and (key.startswith("node_modules/") or "packages" not in data)
            and not info.get("link")
        ):
            entries.add(
                key.rpartition("node_modules/")[2] or key,
                _locked(
                    info.get("version", ""),
                    info,
                    besides=("version", "dependencies", "optionalDependencies", "dev"),
                ),
            )
    return entries


def _toml_lock(text: str, *, own_without_source: bool = False) -> Entries:
    entries = Entries()
    for listed in tomllib.loads(text).get("package") or []:
        package = _table(listed)
        source = package.get("source")
        # Cargo's own crates carry no source; uv's own project an editable or virtual one.
        if own_without_source and source is None:
            continue
        if isinstance(source, dict) and ({"editable", "virtual"} & set(source)):
            continue
        entries.add(
            str(package.get("name")),
            _locked(
                package.get("version", ""), package, besides=("name", "version", "dependencies")
            ),
        )
    return entries


def _cargo_lock(text: str) -> Entries:
    return _toml_lock(text, own_without_source=True)


def _cargo(text: str) -> Entries:
    data = tomllib.loads(text)
    entries = Entries()
    kinds = ("dependencies", "dev-dependencies", "build-dependencies")
    tables: list[tuple[str, object]] = [(kind, data.get(kind)) for kind in kinds]
    tables += [
        (f"{kind} of {target}", _table(spec).get(kind))
        for target, spec in _table(data.get("target")).items()
        for kind in kinds
    ]
    workspace = _table(data.get("workspace"))
    tables += [("workspace", workspace.get("dependencies")), ("patch", data.get("patch"))]
    for where, table in tables:
        for name, spec in _table(table).items():
            entries.add(f"{name} ({where})", json.dumps(spec, sort_keys=True))
    return entries


def _go_mod(text: str) -> Entries:
    entries = Entries()
    block = ""
    for raw in text.splitlines():
        line = raw.split("//")[0].strip()
        words = line.split()
        if not words:
            continue
        if words[-1] == "(" and words[0] in ("require", "replace"):
            block = words[0]
            continue
        if words == [")"]:
            block = ""
            continue
        kind = block or words[0]
        body = words if block else words[1:]
        if kind == "require" and len(body) >= 2:
            entries.add(body[0], body[1])
        elif kind == "replace" and "=>" in body:
            arrow = body.index("=>")
            entries.add(f"{' '.join(body[:arrow])} (replace)", " ".join(body[arrow + 1 :]))
    return entries


def _go_sum(text: str) -> Entries:
    entries = Entries()
    for line in text.splitlines():
        words = line.split()
        if len(words) == 3 and not words[1].endswith("/go.mod"):
            entries.add(words[0], f"{words[1]} {words[2]}")  # the hash: which code it is
    return entries


def _maven(text: str) -> Entries:
    from xml.etree import ElementTree  # imported when a POM changed, not by every review

    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise ValueError("a POM with a DTD is not read")
    # No DTD (refused above), so no entity can expand or reach outside: what defusedxml guards.
    try:
        root = ElementTree.fromstring(text)  # noqa: S314
    except ElementTree.ParseError as exc:
        raise ValueError(f"the POM does not parse: {exc}") from None
    for element in root.iter():
        element.tag = element.tag.rpartition("}")[2]
    properties = {p.tag: (p.text or "").strip() for p in root.findall("properties/*")}

    def resolve(value: str) -> str:
        return re.sub(r"\$\{([^}]{1,200})\}", lambda m: properties.get(m[1], m[0]), value)

    entries = Entries()
    for kind in ("dependency", "plugin", "parent", "extension"):
        for element in root.iter(kind):
            group = (element.findtext("groupId") or "").strip()
            artifact = (element.findtext("artifactId") or "").strip()
            if artifact:
                version = resolve((element.findtext("version") or "").strip())
                scope = (element.findtext("scope") or "").strip()
                entries.add(f"{group}:{artifact}" + (f" ({scope})" if scope else ""), version)
    return entries


READERS: dict[str, Callable[[str], Entries]] = {
    "pyproject.toml": _pyproject,
    "setup.cfg": _setup_cfg,
    "requirements.txt": _requirements,
    "constraints.txt": _requirements,
    "package.json": _js_manifest,
    "composer.json": _js_manifest,
    "package-lock.json": _npm_lock,
    "npm-shrinkwrap.json": _npm_lock,
    "cargo.toml": _cargo,
    "cargo.lock": _cargo_lock,
    "poetry.lock": _toml_lock,
    "uv.lock": _toml_lock,
    "go.mod": _go_mod,
    "go.sum": _go_sum,
    "pom.xml": _maven,
}
"""A manifest or lock file's name (lower case) to its reader; one line adds a format."""


def reader_for(path: str) -> Callable[[str], Entries] | None:
    name = path.rpartition("/")[2].lower()
    if name.endswith(".txt") and ("requirements" in name or "constraints" in name):
        return _requirements
    return READERS.get(name)


def _entries(read: Callable[[str], Entries], text: str | None) -> Entries:
    if text is None:
        return Entries()
    if len(text) > MAX_BYTES:
        raise ValueError("too large to read")
    return read(text)


def changed_entries(
    path: str, before: str | None, after: str | None, *, named: bool = False
) -> tuple[str, ...] | None:
    """The dependency entries of ``path`` that differ between ``before`` and ``after`` (None
    for an absent side), each as ``name old → new`` (``+ name new`` added, ``- name old``
    removed); None when the format has no reader or a side does not parse. ``named``: a
    requirements file a build configuration names, whatever its name."""
    read = reader_for(path) or (_requirements if named else None)
    if read is None:
        return None
    try:
        old, new = _entries(read, before), _entries(read, after)
    except (
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        RecursionError,
    ):
        return None  # tomllib's and json's errors are ValueErrors
    changed: list[str] = []
    for name in sorted(old.keys() | new.keys()):
        if name not in new:
            changed.append(f"- {name} {old[name]}".rstrip())
        elif name not in old:
            changed.append(f"+ {name} {new[name]}".rstrip())
        elif old[name] != new[name]:  # an entry without a version says so, not a blank
            changed.append(f"{name} {old[name] or 'any version'} → {new[name] or 'any version'}")
    return tuple(changed)
