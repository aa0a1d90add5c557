"""analyse-failure: why a CI run failed, where, what to do, and whether it is flaky (the step
files are listed in CONTRIBUTING.md; ``logs`` reads the logs, ``fix`` is the optional fix step)."""

from cicd_agent.plugins import ModePlugin

PLUGIN = ModePlugin(
    "analyse-failure",
    __name__,
    "find the error in a failed run's logs, say why it failed and whether it is flaky",
    "options:AnalyseFailureOptions.from_given",
    order=3,
)

