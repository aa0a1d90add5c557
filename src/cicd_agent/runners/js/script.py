"""Which test files the repository's own test command gives jest or vitest, read from
``package.json``'s ``scripts.test`` without running it: gen-tests keeps a test only where
``npm test`` runs it (``"test": "jest src"`` leaves ``test/e2e/`` to another command).

Read as jest 29.7 and 30 and vitest 1.6 to 4.1 read them: jest's positional words and
``--testPathPattern(s)`` are case-insensitive expressions searched in the path, ``--roots`` folders,
``--testPathIgnorePatterns`` exclusions; vitest's positional filters are case-insensitive substrings
of the path from ``--dir`` (else ``--root``).

A script read no narrower than the runner's settings, never wider (:data:`EVERYTHING`) when it
cannot be read: a chain or another program, a shell expansion, a pattern with anything but
letters, digits and ``_ - . / @ #`` (a regular expression we would have to run), more than
:data:`MAX_PATTERNS`, an absolute path, a flag that selects by history or changes what words
mean, an unknown flag before a bare word, or a script over :data:`MAX_SCRIPT` characters.
Narrowing only removes: whatever the script says, its scope is a subset of the runner's settings."""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from functools import cached_property
from itertools import takewhile
from pathlib import Path

from cicd_agent.analysis.file_names import has_control_characters
from cicd_agent.runners.js.runner import test_script
from cicd_agent.runners.protocol import Runner

MAX_SCRIPT = 2_000
"""Characters of a script read; a longer one is no narrowing."""
MAX_PATTERNS = 32
"""Distinct patterns read (real scripts name one to three); more are no narrowing: each path of
the layout walk is searched for every one."""
_WORD = re.compile(r"[A-Za-z0-9_./@#-]+")
"""A pattern or folder read: literal characters, and ``.`` (any character to jest) alone."""
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_SHELL = re.compile(r"[;&|<>()$`*?\[\]{}~\\!]")
"""What makes a word the shell's to read (an operator, expansion or glob): no narrowing."""
_LAUNCHERS = (("npx",), ("yarn",), ("pnpm",), ("pnpm", "exec"))
_FLAGS = {
    "jest": {
        "booleans": "ci coverage collectCoverage silent verbose runInBand i passWithNoTests "
        "detectOpenHandles forceExit cache color colors json logHeapUsage noStackTrace "
        "errorOnDeprecated detectLeaks useStderr randomize showSeed updateSnapshot u watchAll "
        "workerThreads testLocationInResults bail b expand e clearMocks resetMocks "
        "restoreMocks resetModules injectGlobals watchman notify all",
        "values": "config c testNamePattern t maxWorkers w shard seed testTimeout env "
        "testEnvironment outputFile coverageDirectory coverageProvider maxConcurrency "
        "testFailureExitCode collectCoverageFrom",
        "lists": "roots testPathPattern testPathPatterns reporters coverageReporters "
        "selectProjects testPathIgnorePatterns setupFiles setupFilesAfterEnv",
        "unread": "findRelatedTests runTestsByPath onlyChanged o lastCommit changedSince "
        "changedFilesWithAncestor watch onlyFailures f listTests filter projects rootDir",
    },
    "vitest": {
        "booleans": "run watch w coverage globals silent passWithNoTests typecheck ui "
        "allowOnly isolate update u logHeapUsage clearScreen fileParallelism dom",
        "values": "config c root r dir testNamePattern t reporter outputFile environment pool "
        "mode maxWorkers minWorkers testTimeout hookTimeout bail retry shard project "
        "exclude",
        "lists": "",
        "unread": "changed standalone mergeReports workspace",
    },
}
"""Each runner's flags by what follows them: nothing (a bare word after one is a pattern), one
value, values up to the next flag, or a meaning no path reading holds."""


@dataclass(frozen=True)
class Scope:
    """The test files a runner's test script runs: under one of ``folders`` (none: anywhere)
    and matching one of ``patterns`` (none: any), by ``runner``'s rule."""

    runner: str = ""
    folders: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    """jest's ``--testPathIgnorePatterns``, searched case and all in ``/`` and the path from
    the root (a part of jest's absolute path, so never a path jest keeps)."""

    @cached_property
    def _searched(self) -> re.Pattern[str]:
        """jest's patterns as one expression, compiled once: hundreds of them would each be
        compiled again per path past ``re``'s cache of 512."""
        return re.compile("|".join(self.patterns), re.IGNORECASE)  # no "|" in :data:`_WORD`

    @cached_property
    def _ignored(self) -> re.Pattern[str]:
        return re.compile("|".join(self.ignored))

    def runs(self, path: str) -> bool:
        """Whether the script gives the runner ``path`` (a path from the checkout's root)."""
        if self.folders and not any(
            folder in (".", path) or path.startswith(f"{folder}/") for folder in self.folders
        ):
            return False
        if self.ignored and self._ignored.search(f"/{path}"):
            return False
        if not self.patterns:
            return True
        if self.runner == "jest":  # "." is any character; the rest are literal (:data:`_WORD`)
            return self._searched.search(f"/{path}") is not None
        lowered = path.lower()
        return any(pattern.lower() in lowered for pattern in self.patterns)


EVERYTHING = Scope()
"""No narrowing: the runner's own settings alone say which tests run."""


def scope(runner: Runner, checkout: Path) -> Scope:
    """What the checkout's ``scripts.test`` gives ``runner`` (:data:`EVERYTHING` when the
    script is none, runs another runner, or cannot be read)."""
    script = test_script(checkout)
    if runner.name not in _FLAGS or len(script) > MAX_SCRIPT or has_control_characters(script):
        return EVERYTHING
    try:
        lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = ""  # sh's "#" opens a comment only at a word's start (shlex: anywhere)
        words = list(lexer)
    except ValueError:  # an open quote
        return EVERYTHING
    words = list(takewhile(lambda word: not word.startswith("#"), words))
    if any(_SHELL.search(word) for word in words):
        return EVERYTHING
    found = _read(runner.name, _after_launcher(words, runner.name))
    return (
        found
        if found is not None and (found.folders or found.patterns or found.ignored)
        else EVERYTHING
    )


def _after_launcher(words: list[str], name: str) -> list[str] | None:
    """The words after the runner's name (``FOO=1 npx jest``, ``node_modules/.bin/jest``);
    None when the script does not start by running it."""
    while words and _ENV.match(words[0]):
        words = words[1:]
    for launcher in sorted(_LAUNCHERS, key=len, reverse=True):
        if tuple(words[: len(launcher)]) == launcher:
            words = words[len(launcher) :]
            break
    if not words or (words[0] != name and not words[0].endswith(f"node_modules/.bin/{name}")):
        return None
    return words[1:]


def _read(name: str, words: list[str] | None) -> Scope | None:
    if words is None:
        return None
    flags = {kind: frozenset(map(_flag, names.split())) for kind, names in _FLAGS[name].items()}
    positional: list[str] = []
    given: dict[str, list[str]] = {}
    index, ended = 0, False
    while index < len(words):
        word, index = words[index], index + 1
        bare = ended or not word.startswith("-")
        if bare:
            positional.append(word)
            continue
        if (
            word == "--"
        ):  # yargs gives jest the words after it; cac keeps them from vitest's filters
            if name == "vitest":
                return None
            ended = True
            continue
        flag, equals, value = word.lstrip("-").partition("=")
        flag = _flag(flag.removeprefix("no-"))
        if flag in flags["unread"]:
            return None
        follows = index < len(words) and not words[index].startswith("-")
        if equals:
            given.setdefault(flag, []).append(value)
        elif flag in flags["values"] and follows:
            given.setdefault(flag, []).append(words[index])
            index += 1
        elif flag in flags["lists"]:
            while index < len(words) and not words[index].startswith("-"):
                given.setdefault(flag, []).append(words[index])
                index += 1
        elif flag in flags["booleans"]:
            if follows and words[index] in ("true", "false"):
                index += 1
        elif follows:  # an unknown flag's value, or a pattern: not known
            return None
    if name == "vitest" and positional:
        if positional[0] in ("related", "bench", "list", "init", "typecheck"):
            return None
        if positional[0] in ("run", "watch", "dev"):
            positional = positional[1:]
    if name == "jest":
        patterns = [
            *positional,
            *given.get("testpathpattern", ()),
            *given.get("testpathpatterns", ()),
        ]
        folders = given.get("roots", [])
        ignored = given.get("testpathignorepatterns", [])
    else:
        patterns = positional
        folders = (given.get("dir") or given.get("root") or [])[-1:]
        ignored = []
    if any(_WORD.fullmatch(word) is None for word in (*patterns, *folders, *ignored)):
        return None
    if any(word.startswith("/") for word in (*patterns, *folders)):
        return None  # absolute: where the job's checkout lies is not known here
    read = dict.fromkeys(found for pattern in patterns for found in _patterns(name, pattern))
    if len(read) + len(ignored) > MAX_PATTERNS:
        return None
    return Scope(
        name, tuple(posixpath.normpath(folder) for folder in folders), tuple(read), tuple(ignored)
    )


def _flag(word: str) -> str:
    """A flag's name as both parsers take it (``--no-file-parallelism``, ``--fileParallelism``)."""
    return word.replace("-", "").lower()


def _patterns(name: str, pattern: str) -> tuple[str, ...]:
    """``pattern`` as :meth:`Scope.runs` reads it: jest's without its leading dots (each is any
    character, of the absolute path's start too, and jest 30 anchors ``./x`` at the root: what
    matches with them matches without); vitest's as written and as the path it names,
    normalised as vitest's ``relative`` does (``./test`` is ``test``; ``.`` is every path)."""
    if name == "jest":
        return (pattern.lstrip("."),)
    normal = posixpath.normpath(pattern)
    normal = ("" if normal == "." else normal) + "/" * pattern.endswith("/")  # "./" is "/"
    return pattern, normal
