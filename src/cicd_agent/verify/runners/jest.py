"""jest behind the seam (:mod:`.js` holds what it shares with vitest)."""

from __future__ import annotations

from cicd_agent.verify.runners.js import JsRunner


class Jest(JsRunner):
    """jest: ``--json`` on stdout, the files by path (never a pattern), shuffled by ``--seed``."""

    name = "jest"
    settings: tuple[str, ...] = ("jest.config.*", "jest.setup.*", "package.json", "babel.config.*",
                                 ".babelrc*")
    arguments = ("--ci", "--json", "--no-watchman", "--forceExit", "--runTestsByPath")

    def shuffled(self, seed: int) -> tuple[str, ...]:
        return ("--randomize", f"--seed={seed}")
