"""gen-tests: the steps and their helpers (coverage gaps, segments, the gate, the patch).

The mode (``cicd_agent.modes.gen_tests.mode``) only wires the steps together. Only
:mod:`publish` writes (the patch file, and git's push to the pull request's branch); only
:mod:`ask` talks to the model.

Its files: ``mode.py`` (wiring), ``options``, ``types`` (``GenTestsFacts``, ``GenTestsVerdict``,
``GenTestsOpinion``), ``collect`` (the targets, the sandboxed baseline run of the suite),
``analyse`` (the segments), ``prompt`` (what the model sees and its answer's schema), ``ask``
(Python's writer, the budget, and the run measuring its tests; ``attempts`` is the one attempt loop
every language's writer goes through), ``decide``, ``result``, ``publish`` (the patch file and
``push``); helpers ``targets``, ``segments`` (with ``Shard``), ``gate``, ``assertions``,
``coverage_gaps``, ``patch``; other runners' gaps, gate and writer in ``runner_gaps``,
``runner_gate`` (a runner judged by mutants, cargo, in ``mutant_gate``), ``runner_ask``.
"""

from cicd_agent.plugins import ModePlugin

PLUGIN = ModePlugin(
    "gen-tests",
    __name__,
    "write tests for a change's uncovered lines; keep those that pass a strict gate",
    "options:GenTestsOptions.from_given",
    order=2,
)


NAME = "gen-tests"

FAIL_ON_UNCOVERED = "uncovered"
"""gen-tests' one ``fail-on`` value. Here, not in ``result``, so the mode module can name it
without importing the result's module."""
