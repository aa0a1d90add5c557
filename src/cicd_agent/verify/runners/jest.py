"""jest behind the seam (:mod:`.js` holds what it shares with vitest)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from cicd_agent.verify.runners.js import JsRunner


class Jest(JsRunner):
    """jest: ``--json`` on stdout, the files by path (never a pattern), shuffled by ``--seed``."""

    name = "jest"
    settings: tuple[str, ...] = ("jest.config.*", "jest.setup.*", "package.json", "babel.config.*",
                                 ".babelrc*")
    arguments = ("--ci", "--json", "--no-watchman", "--forceExit", "--runTestsByPath")

    def shuffled(self, seed: int) -> tuple[str, ...]:
        return ("--randomize", f"--seed={seed}")

    def covering(self, files: Sequence[str], folder: Path) -> tuple[str, ...]:
        """istanbul through babel (jest's own), into ``--json``'s ``coverageMap``: no reporter
        writes a file (one the run could have written first)."""
        return ("--coverage", "--coverageReporters=none",
                *(f"--collectCoverageFrom={file}" for file in files))  # fmt: skip

    def coverage_map(self, report: str, folder: Path) -> str:
        document = json.loads(report)
        return json.dumps(document.get("coverageMap") if isinstance(document, dict) else None)
