"""The tools the fix step knows, one record each: how its failure reads, how a command that runs
it is recognised, and (for a linter or formatter) its fixing form.

One table (``data/known_tools.toml``), so a tool is added in one place: ``command`` reads the
first two to tell which command of a step failed; ``fixers`` reads the fixing form to rewrite
that command. A tool without a fixing form (pytest, mypy) names the failing command; never rewritten.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from cicd_agent.analysis.file_names import name_span
from cicd_agent.local import git, git_ops


@dataclass(frozen=True)
class Checking:
    """How review runs a linter the repository configures over its changed files, read-only
    (``modes/review/linters.py``): one table with the fix step's, so a tool is added once."""

    configs: tuple[str, ...]
    """Files at the repository's root that configure it (any one is enough)."""
    suffixes: tuple[str, ...]
    """The files it checks."""
    argv: tuple[str, ...]
    """Its arguments for a JSON report on standard output; what ``targets`` says follows."""
    report: str
    """Which reader parses the report (``analysis/lint_reports.py``)."""
    inside: tuple[str, str] = ("", "")
    """A file and the start of a line in it that configure it too (``pyproject.toml``'s
    ``[tool.ruff``, ``package.json``'s ``"xo"``)."""
    targets: str = "files"
    """What follows ``argv``: the changed ``files`` (``./path``), their ``folders`` (a Go
    package each), or nothing (``crate``: clippy checks the whole crate)."""


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

    @property
    def fixes(self) -> bool:
        """Whether it has a fixing form (none verified: pytest, mypy, golangci-lint, clippy...)."""
        return bool(self.removed or self.added)

    @property
    def label(self) -> str:
        """Its name in review's findings and notes (``ruff`` for ``ruff check``)."""
        return self.name.split()[0]

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


@dataclass(frozen=True)
class Refused:
    """A tool found where only the pull request put it, and why it does not run (the Tools
    line: "ruff could not run: ``reason``")."""

    reason: str


def find_tool(executable: str, checkout: Path, environ: Mapping[str, str]) -> str | Refused | None:
    """Where ``executable`` is for a run over ``checkout``: on ``PATH``, else in the checkout's
    virtualenv or ``node_modules/.bin`` (as the repository's own CI installs it); refused when
    running it would run a file of the pull request (:func:`job_tool`)."""
    places = (str(checkout / place) for place in (".venv/bin", "venv/bin", "node_modules/.bin"))
    path = os.pathsep.join([environ.get("PATH", os.defpath), *places])
    found = shutil.which(executable, path=path)
    return None if found is None else job_tool(found, checkout)


def job_tool(program: str, checkout: Path) -> str | Refused:
    """``program`` when it is the job's: an install (``npm ci`` into an untracked
    ``node_modules``), never a file the pull request's tree tracks. A committed
    ``.venv/bin/ruff`` that prints ``[]`` would otherwise run as ruff and report the change
    clean; so would an installed-looking link to a committed file, or a file under a committed
    link (``.venv -> tools``). Every name on the way from ``program`` to the file that runs is
    asked of the checkout's index, through the hardened git seam; when git cannot answer, the
    tool does not run either."""
    names = _names_on_the_way(Path(program), checkout)
    if not names:
        return program  # outside the checkout: the job's own
    place = git.in_checkout(checkout, ceiling=Path(os.path.abspath(checkout)).parent)
    try:
        done = git_ops.index_entries(place, stages=True, timeout=60, paths=names)
    except (OSError, git.GitTimedOut) as exc:
        done = git.GitResult(-1, b"", str(exc).encode())
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1] or ["no answer"]
        return Refused(f"git cannot say whether the checkout's {_shown(names[-1])} is a file of "
                       f"the pull request ({said[0][:200]}), so it does not run")  # fmt: skip
    entries = (entry.partition(b"\t")[2] for entry in done.stdout.split(b"\0"))
    tracked = {os.fsdecode(name) for name in entries if name}
    owned = next((name for name in names if name in tracked), None)
    if owned is None:
        return program
    return Refused(f"the checkout's {_shown(owned)} is a file of the pull request, not an install")


MAX_LINKS = 40
"""Links followed from a program to the file that runs (the kernel's own bound)."""


def _names_on_the_way(program: Path, checkout: Path) -> list[str]:
    """The checkout-relative names a run of ``program`` passes through: every folder and link
    from the program's own name to the file it resolves to, as written and as resolved."""
    roots = {Path(os.path.abspath(checkout)), checkout.resolve()}
    hop = Path(os.path.abspath(program))
    names: list[str] = []
    for _ in range(MAX_LINKS):
        for at in (hop, hop.parent.resolve() / hop.name):
            for root in roots:
                parts = at.relative_to(root).parts if at.is_relative_to(root) else ()
                names += ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        if not hop.is_symlink():
            break
        hop = Path(os.path.abspath(hop.parent / os.readlink(hop)))
    return list(dict.fromkeys(names))


def _shown(name: str) -> str:
    """A checkout's file name as a sentence may hold it (the pull request chose it)."""
    return name if re.fullmatch(r"[\w.@+/-]{1,200}", name) else name_span(name, 200)


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
    )


def _tuples(raw: dict[str, Any]) -> dict[str, Any]:
    return {key: tuple(value) if isinstance(value, list) else value for key, value in raw.items()}


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
