"""The tools the fix step knows, one record each: how its failure reads, how a command that runs
it is recognised, and (for a linter or formatter) its fixing form.

One table, so a tool is added in one place: ``command`` reads the first two to tell which
command of a step failed; ``fixers`` reads the fixing form to rewrite that command. A tool
without a fixing form (pytest, mypy) still names the failing command; it is never rewritten.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


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


def find_tool(executable: str, checkout: Path, environ: Mapping[str, str]) -> str | None:
    """Where ``executable`` is for a run over ``checkout``: on ``PATH``, else in the checkout's
    virtualenv or ``node_modules/.bin`` (as the repository's own CI installs it)."""
    places = (str(checkout / place) for place in (".venv/bin", "venv/bin", "node_modules/.bin"))
    path = os.pathsep.join([environ.get("PATH", os.defpath), *places])
    return shutil.which(executable, path=path)


def base(word: str) -> str:
    """A program's name without its folder (``./node_modules/.bin/eslint`` → ``eslint``)."""
    return word.rsplit("/", 1)[-1]


def _switch(word: str) -> str:
    return word.split("=", 1)[0] if word.startswith("--") else word


def _runs(program: str, subcommand: str) -> re.Pattern[str]:
    """A command running ``program``'s ``subcommand``, a few switches between (an unbounded run
    of words, tried from each ``program`` of a failed step's long line, stalled: quadratic)."""
    return re.compile(rf"(^|[\s/]){program}\s+([^\s;&|]+\s+){{0,6}}?{subcommand}\b")


_RUFF = ("check", "--output-format=json", "--no-fix", "--exit-zero", "--force-exclude",
         "--no-cache")  # fmt: skip
_SCRIPTS = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")  # eslint, xo, biome

TOOLS: tuple[KnownTool, ...] = (
    KnownTool(
        "ruff check",
        says=re.compile(r"^Found \d+ errors?(\.| \(\d+ fixed)"),
        runs=_runs("ruff", "check"),
        executable="ruff",
        subcommand="check",
        removed=frozenset({"--no-fix", "--diff", "--watch"}),
        added=("--fix",),
        checking=Checking(
            configs=("ruff.toml", ".ruff.toml"),
            inside=("pyproject.toml", "[tool.ruff"),
            suffixes=(".py", ".pyi"),
            argv=_RUFF,
            report="ruff",
        ),
    ),
    KnownTool(
        "ruff format",
        says=re.compile(r"^Would reformat: |^\d+ files? would be reformatted"),
        runs=_runs("ruff", "format"),
        executable="ruff",
        subcommand="format",
        removed=frozenset({"--check", "--diff"}),
    ),
    KnownTool(
        "black",
        says=re.compile(r"^would reformat |^\d+ files? would be reformatted"),
        runs=re.compile(r"(^|[\s/])black(\s|$)"),
        executable="black",
        removed=frozenset({"--check", "--diff"}),
    ),
    KnownTool(
        "isort",
        says=re.compile(r"^ERROR: .* Imports are incorrectly sorted"),
        runs=re.compile(r"(^|[\s/])isort(\s|$)"),
        executable="isort",
        removed=frozenset({"--check-only", "--check", "-c", "--diff"}),
    ),
    KnownTool(
        "eslint",
        says=re.compile(r"^✖ \d+ problems? \("),
        runs=re.compile(r"(^|[\s/])eslint(\s|$)"),
        executable="eslint",
        removed=frozenset({"--fix-dry-run"}),
        added=("--fix",),
        checking=Checking(
            configs=tuple(
                [f"eslint.config.{end}" for end in ("js", "mjs", "cjs", "ts", "mts", "cts")]
                + [f".eslintrc{end}" for end in ("", ".js", ".cjs", ".json", ".yml", ".yaml")]
            ),
            suffixes=_SCRIPTS,
            argv=("--format", "json", "--no-error-on-unmatched-pattern"),
            report="eslint",
        ),
    ),
    KnownTool(
        "prettier",
        says=re.compile(r"^\[warn\] Code style issues (found|were found)"),
        runs=re.compile(r"(^|[\s/])prettier(\s|$)"),
        executable="prettier",
        removed=frozenset({"--check", "-c", "--list-different", "-l"}),
        added=("--write",),
    ),
    KnownTool(
        "golangci-lint",
        # The closing line of its text output, then one line per linter: "1 issues:" and
        # "21 issues:" in real CI logs (the plural even for one).
        says=re.compile(r"^\d+ issues?:$"),
        runs=_runs("golangci-lint", "run"),
        executable="golangci-lint",
        checking=Checking(
            configs=(".golangci.yml", ".golangci.yaml", ".golangci.toml", ".golangci.json"),
            suffixes=(".go",),
            # version 2's switches: the JSON report on stdout, no summary, exit 0 on issues
            argv=("run", "--output.json.path=stdout", "--show-stats=false", "--issues-exit-code=0"),
            report="golangci-lint",
            targets="folders",
        ),
    ),
    # Found where configured, run read-only; their fixing forms are not verified here.
    KnownTool(
        "xo",
        says=re.compile(r"^\s*\d+ errors?$"),
        runs=re.compile(r"(^|[\s/])xo(\s|$)"),
        executable="xo",
        checking=Checking(
            configs=tuple(
                f"{s}.{e}"
                for s in ("xo.config", ".xo-config")
                for e in ("js", "cjs", "mjs", "ts", "json")
            ),
            inside=("package.json", '"xo"'),
            suffixes=_SCRIPTS,
            argv=("--reporter=json",),
            report="eslint",  # xo is eslint underneath and writes its report
        ),
    ),
    KnownTool(
        "biome",
        says=re.compile(r"^Found \d+ errors?\.$"),
        runs=_runs("biome", "(lint|check|ci)"),
        executable="biome",
        checking=Checking(
            configs=("biome.json", "biome.jsonc"),
            suffixes=(*_SCRIPTS, ".json", ".css"),
            argv=("lint", "--reporter=json", "--no-errors-on-unmatched", "--colors=off"),
            report="biome",
        ),
    ),
    KnownTool(
        "clippy",
        says=re.compile(r"^= help: for further information visit \S+/rust-clippy/"),
        runs=_runs("cargo(-clippy)?", "clippy"),
        executable="cargo-clippy",  # rustup's proxy; its toolchain comes into the sandbox
        checking=Checking(
            configs=("Cargo.toml",),  # clippy needs no configuration of its own
            suffixes=(".rs",),
            argv=("clippy", "--message-format=json", "--quiet", "--offline"),
            report="clippy",
            targets="crate",
        ),
    ),
    KnownTool(
        "pytest",
        says=re.compile(r"^=+ .*\b\d+ (failed|errors?)\b.* in [\d.]+s|^\d+ failed\b.* in [\d.]+s"),
        runs=re.compile(r"(^|[\s/])(py\.test|pytest)(\s|$)"),
        executable="pytest",
    ),
    KnownTool(
        "mypy",
        says=re.compile(r"^Found \d+ errors? in \d+ files? \(checked"),
        runs=re.compile(r"(^|[\s/])mypy(\s|$)"),
        executable="mypy",
    ),
)


def tools_named(command: str) -> list[str]:
    """The known tools a command runs (by name, through ``python -m``, ``npx`` or a path)."""
    try:
        words = " ".join(shlex.split(command, comments=True))
    except ValueError:
        words = command
    return [tool.name for tool in TOOLS if tool.runs.search(words)]
