"""vitest behind the seam (:mod:`.js` holds what it shares with jest)."""

from __future__ import annotations

from cicd_agent.verify.runners.js import JsRunner


class Vitest(JsRunner):
    """vitest: its JSON reporter on stdout, no cache (``node_modules`` is read-only there)."""

    name = "vitest"
    settings: tuple[str, ...] = ("vitest.config.*", "vitest.workspace.*", "vite.config.*", "package.json")
    arguments = ("run", "--reporter=json", "--no-color", "--no-cache")

    def shuffled(self, seed: int) -> tuple[str, ...]:
        return ("--sequence.shuffle", f"--sequence.seed={seed}")
