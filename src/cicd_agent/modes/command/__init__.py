"""``cicd-agent command``: answer ``/cicd-agent …`` commands written in pull request comments.

Its files: ``mode.py`` (wiring), ``options``, ``types`` (``CommandFacts``, ``CommandVerdict``,
``CommandOpinion``), ``plan`` (pure: what counts as a command, and what to do with a comment),
``collect``, ``analyse`` (the answer without a model), ``ask`` (the ask call), ``prompt`` (the
answer's schema), ``decide`` (pure), ``result`` (``POSTED``: what publishing did), ``publish``
(runs the mode, replies; what that did goes into ``ctx.posted`` as it is learnt), ``dispatch`` (the
mode a command runs, found through the registry like any other; its options, context and own runner
for the pinned head).
"""

from cicd_agent.plugins import ModePlugin

PLUGIN = ModePlugin(
    "command",
    __name__,
    "answer /cicd-agent commands in pull request comments (review, ask, ...)",
    "options:CommandOptions.from_given",
    order=5,
)

