"""vitest behind the seam (:mod:`.js` holds what it shares with jest)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cicd_agent.local.checkout_files import read_text
from cicd_agent.verify.runners.base import could_not_run
from cicd_agent.verify.runners.js import JsRunner, installed

MAX_MAP_BYTES = 64 << 20
"""The largest coverage map read (a map of the changed files only)."""


class Vitest(JsRunner):
    """vitest: its JSON reporter on stdout, no cache (``node_modules`` is read-only there)."""

    name = "vitest"
    settings: tuple[str, ...] = ("vitest.config.*", "vitest.workspace.*", "vite.config.*", "package.json")
    arguments = ("run", "--reporter=json", "--no-color", "--no-cache")

    def shuffled(self, seed: int) -> tuple[str, ...]:
        return ("--sequence.shuffle", f"--sequence.seed={seed}")

    def options(self, checkout: Path) -> tuple[str, ...]:
        """With vite 6.1+ and vitest 3.1+, the configuration is loaded on the fly
        (``--configLoader runner``): vite's default bundles a ``vitest.config.ts`` into
        ``node_modules/.vite-temp``, read-only in the sandbox, and the run failed before any
        test (found on a real project, pillarjs/path-to-regexp)."""
        if installed(checkout, "vite") >= (6, 1) and installed(checkout, "vitest") >= (3, 1):
            return (*self.arguments, "--configLoader=runner")
        return self.arguments

    def coverage_missing(self, checkout: Path) -> str:
        """Without its V8 provider installed (``npm ci``), vitest would fail the whole run."""
        if (checkout / "node_modules" / "@vitest" / "coverage-v8" / "package.json").is_file():
            return ""
        return could_not_run("@vitest/coverage-v8", "among the devDependencies, then `npm ci`")

    def covering(self, files: Sequence[str], folder: Path) -> tuple[str, ...]:
        """V8's coverage through ``@vitest/coverage-v8`` (the job's install), its JSON
        reporter into a folder of ``folder`` (vitest empties it first, and could not empty a
        mount); files no test loads are counted too (``all``). Written when a test fails too
        (``reportOnFailure``, off by default): one slow test of the suite timing out left
        fb55/entities' whole change "not measured", as jest's map never is."""
        return ("--coverage.enabled=true", "--coverage.provider=v8", "--coverage.all=true",
                "--coverage.reportOnFailure=true",
                "--coverage.reporter=json", f"--coverage.reportsDirectory={folder / 'report'}",
                *(f"--coverage.include={file}" for file in files))  # fmt: skip

    def coverage_map(self, report: str, folder: Path) -> str:
        """``coverage-final.json``, written by vitest's main process; read without following a
        link and bounded (a test may write that folder too: a forged map hides gaps, never
        adds a test)."""
        return read_text(folder, "report/coverage-final.json", MAX_MAP_BYTES)
