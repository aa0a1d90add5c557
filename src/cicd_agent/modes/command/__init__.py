"""``cicd-agent command``: answer ``/cicd-agent …`` commands written in pull request comments.

``mode.py`` reads top to bottom (collect, analyse, ask, decide, publish); ``dispatch`` runs the
mode a command names, found through the registry like any other, so this mode imports none.
"""

from cicd_agent.plugins import ModePlugin

PLUGIN = ModePlugin(
    "command",
    __name__,
    "answer /cicd-agent commands in pull request comments (review, ask, ...)",
    "options:CommandOptions.from_given",
    order=5,
)
