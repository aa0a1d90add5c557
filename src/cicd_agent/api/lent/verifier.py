"""Lent to analyse-failure, gen-tests and review, and may change with them: the verifier that
judges a patch in the sandbox (:class:`SandboxVerifier`), a fix proven by a test that fails
before it and passes after (:mod:`fail_to_pass`), a suggested patch checked
(:class:`PatchChecks`), and a generated test's checks (mutation, reruns under varied
conditions). It brings every test runner (about 0.15 CPU-seconds), so a mode that may not need
it imports it where it is first used: review, which checks a suggestion or runs a linter only on
some pull requests, imports it inside the function that does. What a verification is, and the
contracts, are in :mod:`cicd_agent.api.contracts`."""

from __future__ import annotations

from cicd_agent.verify import fail_to_pass, mutants, mutation
from cicd_agent.verify.conditions import MAX_REPEAT, NOISE, ZONES, varied
from cicd_agent.verify.judge import SandboxVerifier
from cicd_agent.verify.reruns import SHARE_USED, Counts, Enough, Reruns, TestRuns
from cicd_agent.verify.suggested import Kept, PatchChecks, lint_argv

__all__ = [
    "MAX_REPEAT",
    "NOISE",
    "SHARE_USED",
    "ZONES",
    "Counts",
    "Enough",
    "Kept",
    "PatchChecks",
    "Reruns",
    "SandboxVerifier",
    "TestRuns",
    "fail_to_pass",
    "lint_argv",
    "mutants",
    "mutation",
    "varied",
]
