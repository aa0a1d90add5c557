"""review: inline comments, a check run, SARIF and a merge gate for a pull request.

``mode.py`` reads top to bottom (collect, analyse, ask, decide, publish); ``handoff/`` is the
fork-safe hand-off, a package because its ``--publish-from`` phase runs in a job of its own;
``lint/`` runs the repository's linters and type checkers, a part as large as a mode's.
"""

from cicd_agent.plugins import ModePlugin

PLUGIN = ModePlugin(
    "review",
    __name__,
    "review a pull request: inline comments, check run, SARIF, merge gate",
    "options:ReviewOptions.from_given",
    reads_changes="describe:READER",
    order=1,
)
