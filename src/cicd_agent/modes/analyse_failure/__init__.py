"""analyse-failure: why a CI run failed, where, what to do, and whether it is flaky.

``mode.py`` reads top to bottom (collect, analyse, ask, check, decide, publish); ``logs/``
(reading the failed logs) and ``fix/`` (the check step, judging a fix in the sandbox) are packages
because each is a job of its own.
"""

from cicd_agent.plugins import ModePlugin

PLUGIN = ModePlugin(
    "analyse-failure",
    __name__,
    "find the error in a failed run's logs, say why it failed and whether it is flaky",
    "options:AnalyseFailureOptions.from_given",
    order=3,
)
