"""The test runners the verifier knows: one module each, one line of :data:`RUNNERS`.

:mod:`.base` describes the seam every runner implements (:class:`~.base.TestRunner`) and the
report every run returns (:class:`~.base.TestReport`). CONTRIBUTING walks through adding one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cicd_agent.verify.runners.base import TestRunner
from cicd_agent.verify.runners.cargo import CargoTest
from cicd_agent.verify.runners.go import GoTest
from cicd_agent.verify.runners.jest import Jest
from cicd_agent.verify.runners.maven import MavenJUnit
from cicd_agent.verify.runners.pytest import Pytest
from cicd_agent.verify.runners.vitest import Vitest

RUNNERS: tuple[TestRunner, ...] = (
    Pytest(),
    Jest(),
    Vitest(),
    GoTest(),
    CargoTest(),
    MavenJUnit(),
)
"""Every runner, in the order a checkout is asked which it uses."""


def configured(checkout: Path) -> tuple[TestRunner, ...]:
    """The runners the repository in ``checkout`` configures."""
    return tuple(runner for runner in RUNNERS if runner.configured(checkout))


def running(command: str) -> TestRunner | None:
    """The runner a failed step's ``command`` runs (None: no test runner the seam knows)."""
    return next((runner for runner in RUNNERS if runner.runs(command)), None)


def named(name: str) -> TestRunner | None:
    """The runner called ``name``."""
    return next((runner for runner in RUNNERS if runner.name == name), None)


def for_file(path: str, checkout: Path, environ: Mapping[str, str]) -> TestRunner | str:
    """The runner whose tests exercise ``path`` in this job, or the clause saying why no test
    runs ("" when no runner knows such files): one installed runner is the one; of several, the
    one the repository's configuration names (``package.json``'s ``devDependencies`` between
    jest and vitest); of none, the one it names is the one to install."""
    mine = [runner for runner in RUNNERS if path.endswith(runner.suffixes)]
    ready = [runner for runner in mine if not runner.missing(checkout, environ)]
    if len(ready) > 1:
        chosen = [runner for runner in ready if runner.configured(checkout)]
        if len(chosen) != 1:
            names = " and ".join(runner.name for runner in ready)
            return (f"no tests were run: {names} are all installed and the repository's "
                    "configuration does not choose one")  # fmt: skip
        ready = chosen
    if ready:
        return ready[0]
    wanted = [runner for runner in mine if runner.configured(checkout)] or mine
    return f"no tests were run: {wanted[0].name} {wanted[0].missing(checkout, environ)}" \
        if wanted else ""  # fmt: skip
