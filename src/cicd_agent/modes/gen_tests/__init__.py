"""gen-tests: tests written for the changed lines no test covers, kept only when they pass,
assert and fail without the change.

``mode.py`` reads top to bottom (collect, analyse, ask, decide, publish); only ``publish`` writes
(the patch file, and git's push to the pull request's branch) and only ``ask`` talks to the model.
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
