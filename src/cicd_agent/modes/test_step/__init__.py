"""``cicd-agent test-step``: the job's own test command, its failed tests retried, the base's
quarantine read, the default branch's outcomes kept as the test history."""

from cicd_agent.plugins import ModePlugin

PLUGIN = ModePlugin(
    "test-step",
    __name__,
    "run the job's test command: retry failed tests, honour the quarantine, keep the history",
    "options:TestStepOptions.from_given",
    order=6,
)
