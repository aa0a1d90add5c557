"""The verifier's pytest sandbox: the shared one (:mod:`cicd_agent.sandbox`) plus boot files.

Every pytest run the verifier starts (gen-tests' suite and candidates, review's checked
suggestions) gets our pytest plugin and a private copy of coverage on ``PYTHONPATH``
(:mod:`cicd_agent.modes.gen_tests.boot`, read as package data by name: the engine imports no
mode), read-only inside the sandbox; evidence (pytest outcomes, coverage data) comes back
through the pipe named by :data:`EVIDENCE_FD_VARIABLE` (see :mod:`cicd_agent.verify.reruns`),
never from a file a run could write.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from cicd_agent import sandbox

_BOOT_FILES = ("sitecustomize.py", "cicd_gentests_plugin.py")
EVIDENCE_FD_VARIABLE = "CICD_GENTESTS_EVIDENCE_FD"
"""Names the write end of the evidence pipe in a run's environment (the boot plugin reads it)."""


class PytestSandbox(sandbox.Sandbox):
    """The shared sandbox with our pytest plugin and coverage on every run's ``PYTHONPATH``."""

    temp_prefix = "cicd-agent-gentests-"
    evidence_variable = EVIDENCE_FD_VARIABLE

    @property
    def boot(self) -> Path:
        return self.root / "boot"

    def prepare(self) -> None:
        self.boot.mkdir()
        package = resources.files("cicd_agent.modes.gen_tests.boot")
        for name in _BOOT_FILES:
            (self.boot / name).write_text(package.joinpath(name).read_text("utf-8"), "utf-8")
        # Imported here: only a sandbox that runs needs coverage, not gen-tests' other steps nor
        # the tests that import this module.
        import coverage

        # A copy, not a link: our own install may sit in a folder the sandbox hides.
        shutil.copytree(
            Path(coverage.__file__).parent,
            self.boot / "covlib" / "coverage",
            ignore=shutil.ignore_patterns("__pycache__"),
        )

    def python_path(self) -> list[str]:
        return [str(self.boot)]
