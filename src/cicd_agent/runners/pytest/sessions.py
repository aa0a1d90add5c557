"""pytest's sessions as we drive them (:class:`~cicd_agent.runners.sessions.Sessions`):
its words on a command line, the collection and the replay a reader can run, and why a session
ran no test."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path, PurePosixPath

from cicd_agent.runners.pytest.in_run_records import InRunCheck
from cicd_agent.runners.pytest.report import why_no_result
from cicd_agent.runners.pytest.runner import PLUGIN, PytestSandbox, repeated, selecting, varied
from cicd_agent.runners.pytest.watch import PytestWatch
from cicd_agent.runners.sessions import (
    Evidence,
    FileRun,
    Outcomes,
    SessionSandbox,
    SharedSettings,
)
from cicd_agent.sandbox import RunResult, Workspace

_NO_TESTS = 5
_USAGE = 4
_INTERRUPTED = 2
"""pytest's status when collection failed: a test module that cannot import stops the session
before any test runs (``Interrupted: 1 error during collection``)."""


class PytestSessions:
    sandbox: type[SessionSandbox] = PytestSandbox
    plugin: tuple[str, ...] = PLUGIN
    boot = Path(__file__).resolve().parent / "boot"

    alone: tuple[str, ...] = ("python", "-m", "pytest")
    shared_settings = SharedSettings(
        tables=("pytest", "tox"),
        sections=("tool:pytest", "pytest", "tox:tox", "tox"),
        section_prefix="testenv",
        toml_said="[tool.pytest] or [tool.tox]",
        cfg_said="[tool:pytest], [tox:tox] or [testenv]",
    )
    """``addopts``, ``python_files``, ``pythonpath`` and tox's ``commands`` live there: each
    makes a failing command pass with the bug left in."""

    def own_part(self, words: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """``python -m pytest tests -x`` runs chosen files as ``python -m pytest FILE``;
        ``coverage run -m pytest`` runs as pytest alone."""
        words = _without_coverage_run(tuple(words))
        for index, word in enumerate(words):
            if PurePosixPath(word).name in ("pytest", "py.test"):
                return words, words[: index + 1]
            if word == "-m" and index + 1 < len(words) and words[index + 1] == "pytest":
                return words, words[: index + 2]
        return None

    def selecting(self, space: Workspace, tests: Sequence[str]) -> list[str]:
        return selecting(space, tests)

    def repeated(self, words: Sequence[str], times: int) -> list[str]:
        return repeated(words, times)

    def varied(
        self,
        *,
        shuffle: int | None = None,
        noise: int = 0,
        repeat: int = 1,
        repeat_for: float = 0.0,
    ) -> list[str]:
        return varied(shuffle=shuffle, noise=noise, repeat=repeat, repeat_for=repeat_for)

    def collecting(self, path: str) -> list[str]:
        """Collection alone, our plugin naming the imports that do not resolve."""
        return ["--collect-only", "--cicd-imports", path, path]

    def replay(self, environment: Mapping[str, str], words: Sequence[str], target: str) -> str:
        """``python -m pytest`` with our plugin, a file that needs only pytest, first on
        ``PYTHONPATH`` (the project's own path kept after it): cicd-agent need not be there."""
        env = [f"{k}={shlex.quote(v)}" for k, v in sorted(environment.items())]
        env.append(f"PYTHONPATH={shlex.quote(str(self.boot))}${{PYTHONPATH:+:$PYTHONPATH}}")
        line = [
            *env,
            f"python -m pytest {shlex.join(PLUGIN)}",
            " ".join(words),
            shlex.quote(target),
        ]
        return " ".join(word for word in line if word)

    def file_run(self, path: str, first: str) -> FileRun:
        """pytest's own summary: ``-rf`` names each failed test ``FAILED path::name``."""
        options = f"-q -rf {shlex.quote(path)}"
        return FileRun(
            f"python -m pytest {options}",
            f"python -m pytest -p {first} {options}",
            f"FAILED {path}::",
            " passed",
        )

    def why_no_result(self, result: RunResult, evidence: Evidence) -> str:
        return why_no_result(result, evidence)

    def never_ran(self, outcomes: Outcomes, lines: Sequence[str], said: Sequence[str]) -> str:
        """Only pytest's own "nothing collected", usage error, or a collection it interrupted
        before any test ran (a test module that cannot be imported)."""
        if outcomes.exitstatus == _NO_TESTS and not outcomes.tests:
            return next(
                (line for line in reversed(lines) if line.startswith("no tests ran")),
                "no tests ran (pytest collected none)",
            )
        if outcomes.exitstatus == _USAGE:
            return said[-1] if said else (lines[-1] if lines else "pytest usage error")
        if outcomes.exitstatus == _INTERRUPTED and not outcomes.tests:
            collecting = next(
                (line.strip(" _") for line in lines if "ERROR collecting" in line), ""
            )
            why = (
                said[0]
                if said
                else next((line for line in reversed(lines) if line.startswith("E ")), "")
            )
            where = f" ({collecting})" if collecting else ""
            return f"{why.removeprefix('E').strip() or 'pytest could not collect the tests'}{where}"
        return ""

    def reads_code_guard(self) -> str:
        return (
            resources.files("cicd_agent.runners.pytest.in_run")
            .joinpath("behaviour_guard.py")
            .read_text("utf-8")
        )

    def watch(self, root: Path) -> PytestWatch:
        return PytestWatch(InRunCheck.install(root))


def _without_coverage_run(words: tuple[str, ...]) -> tuple[str, ...]:
    """``coverage run … -m pytest ARGS`` as ``python -m pytest ARGS``: coverage's tracer in the
    tests' process would pause the one that measures them."""
    if PurePosixPath(words[0]).name == "coverage" and words[1:2] == ("run",):
        python, rest = "python", words[2:]
    elif words[1:4] == ("-m", "coverage", "run"):
        python, rest = words[0], words[4:]
    else:
        return words
    for index in range(len(rest) - 1):
        if rest[index : index + 2] == ("-m", "pytest"):
            return (python, *rest[index:])
    return words
