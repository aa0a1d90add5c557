"""What kind of change a file is, by its path alone: instant on a 5,000-file commit, and the same
in every mode. A path may carry several types (``pyproject.toml`` is a manifest and build
configuration); a test or documentation file is only that. :func:`version_only` alone reads text
(a manifest whose only change is the project's own version)."""

from __future__ import annotations

import re
import tomllib
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from cicd_agent.actions import bounded_json
from cicd_agent.analysis import bounded_toml


class ChangeType(StrEnum):
    """Kinds of changed file. Values are stable: they appear in outputs and audit logs."""

    DOCS = "docs"
    TESTS = "tests"
    SOURCE = "source"
    CONFIG = "config"
    CI = "ci"
    INFRASTRUCTURE = "infrastructure"
    DEPENDENCIES = "dependencies"
    LOCKFILE = "lockfile"
    BUILD = "build"
    MIGRATION = "migration"
    SECURITY = "security"
    API_CONTRACT = "api_contract"
    GENERATED = "generated"
    OTHER = "other"


_NAMES = tomllib.loads(
    resources.files("cicd_agent").joinpath("data/change_types.toml").read_text("utf-8")
)
"""The names, suffixes and folders of each type: data, ``data/change_types.toml``."""
_LOCKFILES = frozenset(_NAMES["lockfiles"])
_MANIFESTS = frozenset(_NAMES["manifests"])
_MANIFEST_SUFFIXES = tuple(_NAMES["manifest-suffixes"])
_BUILD_FILES = frozenset(_NAMES["build-files"])
_BUILD_PREFIXES = tuple(_NAMES["build-prefixes"])
_BUILD_SUFFIXES = tuple(_NAMES["build-suffixes"])
_CI_FILES = frozenset(_NAMES["ci-files"])
_CI_DIRS = tuple(_NAMES["ci-dirs"])
_INFRA_FILES = frozenset(_NAMES["infra-files"])
_INFRA_SUFFIXES = tuple(_NAMES["infra-suffixes"])
_INFRA_DIRS = frozenset(_NAMES["infra-dirs"])
_API_SUFFIXES = tuple(_NAMES["api-suffixes"])
_API_STEMS = re.compile(r"^(openapi|swagger|asyncapi)([._-].*)?\.(ya?ml|json)$")
_DOC_SUFFIXES = tuple(_NAMES["doc-suffixes"])
_DOC_FILES = re.compile(
    r"^(readme|changelog|changes|history|news|license|licence|copying|notice|authors|"
    r"contributors|contributing|code_of_conduct|security|support|codeowners|maintainers)"
    r"(\.[a-z0-9]+)?$"
)
_DOC_DIRS = frozenset(_NAMES["doc-dirs"])
_CHANGELOG_DIRS = tuple(f"/{folder}/" for folder in _NAMES["changelog-dirs"])
_CHANGELOG_ENTRY_DIRS = frozenset(_NAMES["changelog-entry-dirs"])
_CHANGELOG_ENTRY = re.compile(
    rf"^[\w+-]+\.({'|'.join(_NAMES['changelog-kinds'])})(\.\d+)?(\.(md|rst|txt|adoc))?$"
)
"""A changelog entry as towncrier names it: ``<issue or name>.<kind>[.<n>][.md]``."""
_TEST_DIRS = frozenset(_NAMES["test-dirs"])
_TEST_FILES = re.compile(
    r"^(test_.+\.py|tests?\.py|tests\.rs|.+_test\.(py|go|rb|exs|cc|cpp|c|rs|dart|kt)|conftest\.py|"
    r".+\.(test|spec)\.[A-Za-z0-9]+|.+_spec\.rb|"
    r".+(Test|Tests|IT|Spec)\.(java|kt|scala|groovy|cs|swift|php))$"
)
_SOURCE_SUFFIXES = frozenset(_NAMES["source-suffixes"])
_SOURCE_ENDINGS = tuple(_SOURCE_SUFFIXES)
_CONFIG_SUFFIXES = frozenset(_NAMES["config-suffixes"])
_CONFIG_DIRS = frozenset(_NAMES["config-dirs"])
_CONFIG_STEMS = re.compile(r"^(settings|config|configuration|\.env.*)(\.[a-z]+)?$")
_GENERATED = re.compile(
    r"(_pb2(_grpc)?\.pyi?|\.pb\.go|\.pb\.(cc|h)|\.min\.(js|css)|\.generated\.\w+|\.g\.dart|"
    r"\.designer\.cs|\.freezed\.dart|_generated\.go|\.snap|\.map)$"
)
_GENERATED_DIRS = frozenset(_NAMES["generated-dirs"])
# Migration layouts: Django/Alembic/knex/TypeORM (``migrations/``, ``versions/``), Rails
# (``db/migrate``), Flyway (``V1__x.sql``), Liquibase (changelogs, and any file under a
# ``changelog``/``liquibase`` folder), Prisma (``migration.sql``,
# ``schema.prisma``), golang-migrate (``1_x.up.sql``), and any other SQL file outside tests.
_FLYWAY = re.compile(r"^[vur]\d[\w.]*__.+\.(sql|java|py)$|^r__.+\.sql$")
_LIQUIBASE = re.compile(r"(^|[._-])(db\.)?changelog([._-].*)?\.(xml|ya?ml|json|sql)$")
_MIGRATION_FILES = frozenset(_NAMES["migration-files"])
_SECURITY_WORDS = frozenset(_NAMES["security-words"])
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

RUNTIME_TYPES = frozenset(
    {
        ChangeType.SOURCE,
        ChangeType.CONFIG,
        ChangeType.INFRASTRUCTURE,
        ChangeType.DEPENDENCIES,
        ChangeType.LOCKFILE,
        ChangeType.BUILD,
        ChangeType.MIGRATION,
        ChangeType.SECURITY,
        ChangeType.API_CONTRACT,
        ChangeType.OTHER,
    }
)
"""Types that change what runs in production (docs, tests, CI and generated files do not)."""


@lru_cache(maxsize=65536)
def classify_path(path: str) -> frozenset[ChangeType]:
    """The change types of one ``/``-separated repository path. Tests and docs are exclusive (a
    test of the login page is a test, not security code); an unknown file is ``other``, never
    dropped."""
    # Split by hand: building a PurePosixPath per path was most of the classification of a
    # large change. Empty and "." parts are dropped as pathlib drops them.
    parts = [part for part in path.split("/") if part and part != "."] or [""]
    original_name = parts[-1]
    name = original_name.lower()
    dirs = [part.lower() for part in parts[:-1]]
    lower = path.lower()
    if name in _LOCKFILES:
        return frozenset({ChangeType.LOCKFILE})
    if name in _CI_FILES or lower.startswith(_CI_DIRS) or lower in ("action.yml", "action.yaml"):
        return frozenset({ChangeType.CI})
    if _is_test(original_name, dirs):
        return frozenset({ChangeType.TESTS})
    if _is_doc(name, dirs) and not _is_manifest(name, dirs):
        return frozenset({ChangeType.DOCS})
    types: set[ChangeType] = set()
    if _is_migration(name, dirs):
        types.add(ChangeType.MIGRATION)
    if _is_infrastructure(name, dirs):
        types.add(ChangeType.INFRASTRUCTURE)
    if _is_manifest(name, dirs):
        types.add(ChangeType.DEPENDENCIES)
    if _is_build(name):
        types.add(ChangeType.BUILD)
    if name.endswith(_API_SUFFIXES) or _API_STEMS.match(name):
        types.add(ChangeType.API_CONTRACT)
    if _GENERATED.search(name) or not _GENERATED_DIRS.isdisjoint(dirs):
        return frozenset({ChangeType.GENERATED})
    dot = name.rfind(".")
    suffix = name[dot:] if 0 < dot < len(name) - 1 else ""
    if suffix in _SOURCE_SUFFIXES and not types & {ChangeType.BUILD, ChangeType.DEPENDENCIES}:
        types.add(ChangeType.SOURCE)
    if _is_config(name, suffix, dirs) and not types:
        types.add(ChangeType.CONFIG)
    if _CONFIG_STEMS.match(name) and suffix in _SOURCE_SUFFIXES:
        types.add(ChangeType.CONFIG)
    if _is_security(path) and (types & RUNTIME_TYPES):
        types.add(ChangeType.SECURITY)
    return frozenset(types or {ChangeType.OTHER})


def _is_test(name: str, dirs: list[str]) -> bool:
    if _TEST_FILES.match(name):
        return True
    return not _TEST_DIRS.isdisjoint(dirs) or "src/test" in "/".join(dirs)


def _is_doc(name: str, dirs: list[str]) -> bool:
    # A source file named like a document (``security.py``, ``history.go``) is code: read as a
    # document, it left the change's size and capped a code change as prose.
    if _DOC_FILES.match(name) and not name.endswith(_SOURCE_ENDINGS):
        return True
    if _is_changelog_entry(name, dirs):
        return True
    if (
        name in _BUILD_FILES
        or name in _MANIFESTS
        or name.startswith(("requirements", "constraints"))
    ):
        return False
    return name.endswith(_DOC_SUFFIXES) or (bool(dirs) and dirs[0] in _DOC_DIRS)


def _is_changelog_entry(name: str, dirs: list[str]) -> bool:
    """An entry a changelog tool keeps until the release (``changelogs/fragments/x.yml``,
    ``newsfragments/12273.bugfix``): the changelog, not a migration or a shipped file. Source
    files and migrations by their names never count, whatever folder holds them."""
    if not dirs or name.endswith(_SOURCE_ENDINGS) or _migration_name(name):
        return False
    if _CHANGELOG_ENTRY.match(name) and dirs[-1] in _CHANGELOG_ENTRY_DIRS:
        return True
    return any(folder in f"/{'/'.join(dirs)}/" for folder in _CHANGELOG_DIRS)


def _migration_name(name: str) -> bool:
    return bool(
        name in _MIGRATION_FILES
        or _FLYWAY.match(name)
        or ("changelog" in name and _LIQUIBASE.search(name))
        or name.endswith(".sql")
    )


def _is_migration(name: str, dirs: list[str]) -> bool:
    if _migration_name(name):
        return True
    in_migration_dir = any(
        part in ("migrations", "migration", "migrate", "changelog", "changelogs", "liquibase")
        for part in dirs
    )
    alembic = len(dirs) >= 2 and dirs[-1] == "versions" and dirs[-2] in ("alembic", "migrations")
    return (in_migration_dir or alembic) and name != "__init__.py" and "." in name


def _is_infrastructure(name: str, dirs: list[str]) -> bool:
    if name in _INFRA_FILES or name.startswith(("dockerfile", "docker-compose", "containerfile")):
        return True
    if name.endswith(_INFRA_SUFFIXES):
        return True
    return not _INFRA_DIRS.isdisjoint(dirs)


def _is_manifest(name: str, dirs: list[str]) -> bool:
    if name in _MANIFESTS or name.endswith(_MANIFEST_SUFFIXES):
        return True
    in_requirements = bool(dirs) and dirs[-1] == "requirements"
    return name.startswith("requirements") or (in_requirements and name.endswith((".txt", ".in")))


def _is_build(name: str) -> bool:
    return (
        name in _BUILD_FILES or name.startswith(_BUILD_PREFIXES) or name.endswith(_BUILD_SUFFIXES)
    )


def _is_config(name: str, suffix: str, dirs: list[str]) -> bool:
    if suffix in _CONFIG_SUFFIXES or name.startswith(".env") or name.endswith("rc"):
        return True
    return not _CONFIG_DIRS.isdisjoint(dirs)


def _is_security(path: str) -> bool:
    lowered = path.lower()  # a path lower case already has no camel case to split
    words = set(_WORD_SPLIT.split(lowered if lowered == path else _CAMEL.sub("_", path).lower()))
    return bool(words & _SECURITY_WORDS)


_VERSION_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "package.json": (("version",),),
    "cargo.toml": tuple(
        (*table, key)
        for table in (("package",), ("workspace", "package"))
        for key in ("version", "rust-version")
    ),
    "pyproject.toml": (("project", "version"), ("tool", "poetry", "version")),
}
"""Per manifest, where the project's own version sits (never a dependency's: serde's
``version`` in ``[dependencies.serde]`` is not here)."""


def _go_directives_only(before: str, after: str) -> bool:
    """Whether two go.mod texts differ only in the ``go`` and ``toolchain`` directives (the
    language version the module is written for, and the toolchain to build it): no module
    required, replaced or excluded changed."""

    def rest(text: str) -> list[str]:
        lines = (line.split("//", 1)[0].strip() for line in text.splitlines())
        return [line for line in lines if line and not line.startswith(("go ", "toolchain "))]

    return rest(before) == rest(after)


def version_only(path: str, before: str, after: str) -> bool:
    """Whether a manifest's two texts differ in nothing but the project's own version fields:
    a release bump, which brings no third-party code (go.mod: its ``go`` and ``toolchain``
    directives). Unreadable text is never one."""
    name = path.rsplit("/", 1)[-1].lower()
    if name == "go.mod" and before != after:
        return _go_directives_only(before, after)
    keys = _VERSION_KEYS.get(name)
    if keys is None or before == after:
        return False
    try:
        if path.lower().endswith(".json"):
            old, new = bounded_json.load(before), bounded_json.load(after)
        else:
            old, new = bounded_toml.load(before), bounded_toml.load(after)
    except ValueError:  # JsonRefused, TomlRefused
        return False
    for key in keys:
        for document in (old, new):
            *tables, last = key
            table: object = document
            for name in tables:
                table = table.get(name) if isinstance(table, dict) else None
            if isinstance(table, dict):
                table.pop(last, None)
    return bool(old == new)
