"""gen-tests' machinery: coverage gaps, segments, the sandbox, the gate, candidates and the patch.

Each module has one job; the mode (``cicd_agent.modes.gen_tests.mode``) only wires the steps
(``collect``, ``prompt``, ``decide``, ``publish``) together. Only :mod:`publish` writes (the patch
file, and git's push to the pull request's branch); only :mod:`candidates` talks to the model,
through a callable :mod:`prompt` gives it.
"""

NAME = "gen-tests"

FAIL_ON_UNCOVERED = "uncovered"
"""gen-tests' one ``fail-on`` value. Here, not in ``result``, so the mode module can name it
without importing the pydantic result models (issue 16)."""
