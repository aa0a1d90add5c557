"""``cicd-agent eval``: whether a pull request makes a team's prompts or model worse, by a paired
test of base against head on their own promptfoo config."""

from cicd_agent.plugins import ModePlugin

PLUGIN = ModePlugin(
    "eval",
    __name__,
    "run the team's promptfoo eval at base and head: a paired test with error bars per case",
    "options:EvalOptions.from_given",
    order=8,
)
