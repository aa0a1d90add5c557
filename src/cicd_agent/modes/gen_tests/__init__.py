"""gen-tests' machinery: coverage gaps, segments, the sandbox, the gate, candidates and the patch.

Each module has one job; the mode (``cicd_agent.modes.gen_tests.mode``) only wires them together.
Nothing here talks to GitHub; only :mod:`candidates` talks to the model, through a callable it
is given.
"""

FAIL_ON_UNCOVERED = "uncovered"
"""gen-tests' one ``fail-on`` value. Here, not in ``result``, so the mode module can name it
without importing the pydantic result models (issue 16)."""
