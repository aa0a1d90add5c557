"""The linters and checkers cicd-agent knows (``data/known_tools.toml``, one record each, so a
tool is added in one place), read by review's linters and by analyse-failure's fix step: how
review runs one the repository configures, how its failure reads, how a command running it is
recognised, and a linter's fixing form. A tool without one (pytest, mypy) names the failing
command and is never rewritten."""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Checking:
    """How review runs a linter the repository configures over its changed files, read-only
    (``modes/review/lint/linters.py``): the same record the fix step reads, so a tool is added
    once."""

    configs: tuple[str, ...]
    """Files at the repository's root that configure it (any one is enough)."""
    suffixes: tuple[str, ...]
    """The files it checks."""
    argv: tuple[str, ...]
    """Its arguments for a JSON report on standard output; what ``targets`` says follows."""
    report: str
    """Which reader parses the report (``modes/review/lint/lint_reports.py``)."""
    inside: tuple[tuple[str, str], ...] = ()
    """Files and the start of a line in each that configure it too (``pyproject.toml``'s
    ``[tool.ruff``, ``package.json``'s ``"xo"``, ``setup.cfg``'s ``[mypy``)."""
    targets: str = "files"
    """What follows ``argv``: the changed ``files`` (``./path``), their ``folders`` (a Go
    package each), or nothing (``crate``: clippy checks the whole crate)."""
    stream: str = "stdout"
    """Where it writes its report: ``stdout``, or ``stderr`` (go vet, which writes nothing
    there on a clean run)."""
    environment: tuple[tuple[str, str], ...] = ()
    """What its run is given (go vet's ``GOPROXY=off``: the sandbox has no network)."""
    quiet: bool = False
    """A clean run writes nothing at all (go vet, tsc): an empty report with exit 0 is one."""
    install: str = "install it before this step"
    """The fix review names when the job lacks it, one clause (``run `pip install ruff` …``)."""
    unconfigured: str = ""
    """Why it cannot run where no file of ``configs`` is found in a changed file's folder or
    above, with the fix, one clause (go vet builds a module: ``go mod init MODULE``); "" for a
    linter that is left unrun there, as optional."""
    settings: tuple[str, ...] | None = None
    """The files whose base version review's run gets in place of the pull request's, so a
    change cannot loosen the check of its own code; None: ``configs`` and the ``inside`` files.
    A build's manifest is not among them (go.mod, Cargo.toml): the base's would not build the
    head's code, a new dependency read as the change's error."""

    fallback: tuple[str, ...] = ()
    """The program and subcommand run in its place where it is not installed, with the same
    report and switches (clippy's ``cargo check``: rustc's errors without clippy's lints)."""

    def setting_files(self) -> tuple[str, ...]:
        """The names of the files review reads from the base (:attr:`settings`)."""
        if self.settings is not None:
            return self.settings
        return (*self.configs, *(name for name, _ in self.inside if name not in self.configs))


@dataclass(frozen=True)
class KnownTool:
    """One tool: its signature in a step's output, in a command line, and its fixing form."""

    name: str
    """What :func:`~.command.tools_named` calls it (``ruff check``)."""
    says: re.Pattern[str]
    """A line of its failure output (``Found 3 errors.``), matched on the stripped line."""
    runs: re.Pattern[str]
    """A command that runs it (by name, through ``python -m``, ``npx`` or a path)."""
    executable: str
    subcommand: str = ""
    removed: frozenset[str] = frozenset()
    """Switches that only check, dropped from the command."""
    added: tuple[str, ...] = ()
    """Switches that make it fix, put right after the subcommand (or the tool's name)."""
    checking: Checking | None = None
    """How review runs it on changed lines, when the repository configures it."""
    shown: str = ""
    """Its name in review's findings, where the first word of ``name`` is not (``label``)."""

    @property
    def fixes(self) -> bool:
        """Whether it has a fixing form (none verified: pytest, mypy, golangci-lint, clippy...)."""
        return bool(self.removed or self.added)

    @property
    def label(self) -> str:
        """Its name in review's findings and notes (``ruff`` for ``ruff check``), or the one
        its table names (``go vet``: ``go`` alone says nothing)."""
        return self.shown or self.name.split()[0]

    def rewrite(self, words: list[str]) -> list[str] | None:
        """The fixing form of ``words`` (a simple command running this tool), or None."""
        if not self.fixes:
            return None
        at = next((i for i, word in enumerate(words) if base(word) == self.executable), None)
        if at is None:
            return None
        if self.subcommand:
            at = next((i for i in range(at + 1, len(words)) if words[i] == self.subcommand), None)
            if at is None:
                return None
        kept = [word for word in words if _switch(word) not in self.removed]
        insert = kept.index(words[at]) + 1 if words[at] in kept else at + 1
        added = [switch for switch in self.added if switch not in kept]
        return [*kept[:insert], *added, *kept[insert:]]


def base(word: str) -> str:
    """A program's name without its folder (``./node_modules/.bin/eslint`` → ``eslint``)."""
    return word.rsplit("/", 1)[-1]


def _switch(word: str) -> str:
    return word.split("=", 1)[0] if word.startswith("--") else word


def _runs(program: str, subcommand: str) -> re.Pattern[str]:
    """A command running ``program``'s ``subcommand``, a few switches between (an unbounded run
    of words, tried from each ``program`` of a failed step's long line, stalled: quadratic)."""
    return re.compile(rf"(^|[\s/]){program}\s+([^\s;&|]+\s+){{0,6}}?{subcommand}\b")


def _tool(raw: dict[str, Any]) -> KnownTool:
    """One ``[[tool]]`` of ``data/known_tools.toml``; how ``runs`` reads is said at its top."""
    runs = raw.get("runs", rf"(^|[\s/]){re.escape(raw['executable'])}(\s|$)")
    checking = raw.get("checking")
    return KnownTool(
        raw["name"],
        says=re.compile(raw["says"]),
        runs=_runs(*runs) if isinstance(runs, list) else re.compile(runs),
        executable=raw["executable"],
        subcommand=raw.get("subcommand", ""),
        removed=frozenset(raw.get("removed", ())),
        added=tuple(raw.get("added", ())),
        checking=Checking(**_tuples(checking)) if checking else None,
        shown=raw.get("label", ""),
    )


def _tuples(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        key: tuple(_tuple(item) for item in value)
        if isinstance(value, list)
        else tuple(sorted(value.items()))
        if isinstance(value, dict)
        else value
        for key, value in raw.items()
    }


def _tuple(item: Any) -> Any:
    return tuple(item) if isinstance(item, list) else item


TOOLS: tuple[KnownTool, ...] = tuple(
    _tool(raw)
    for raw in tomllib.loads(
        resources.files("cicd_agent").joinpath("data/known_tools.toml").read_text("utf-8")
    )["tool"]
)
"""Every tool, in the order a failed step's output is matched: data, ``data/known_tools.toml``."""


def tools_named(command: str) -> list[str]:
    """The known tools a command runs (by name, through ``python -m``, ``npx`` or a path)."""
    try:
        words = " ".join(shlex.split(command, comments=True))
    except ValueError:
        words = command
    return [tool.name for tool in TOOLS if tool.runs.search(words)]
