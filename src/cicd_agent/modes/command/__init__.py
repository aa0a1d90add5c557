"""``cicd-agent command``: answer ``/cicd-agent …`` commands written in pull request comments."""

from cicd_agent.plugins import ModePlugin

PLUGIN = ModePlugin(
    "command",
    __name__,
    "answer /cicd-agent commands in pull request comments (review, ask, ...)",
    "options:CommandOptions.from_given",
    order=5,
)

