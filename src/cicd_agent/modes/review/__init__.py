"""review: inline comments, a check run, SARIF and a merge gate for a pull request.

Its files: ``mode.py`` (wiring: ``run``, and the ``--publish-from`` phase's ``publish_handoff``),
``options``, ``types`` (``ReviewFacts``, holding ``AuditedWorkflows``: the workflow audit collect
ran, ``HandoffFacts``, ``Rules``: what the run tells analyse, ask and decide, built from the run by
``rules`` for review and its hand-off, ``ReviewVerdict``, ``ReviewOpinion``, ``PublishPlan``: where
the review goes, read by collect, decide and publish), ``collect`` (with the dismissed findings and
the workflow audit, whose zizmor run is a process: ``audit_workflows``; ``collect_review``: the
facts, audited, and the rules), ``ask``, ``prompt`` (what the model is shown), ``answer`` (the
schemas of its answers), ``linters`` (the repository's linters run in the sandbox), ``suggestions``
(each ``suggestion`` block checked by the verifier before it is kept), ``syntax`` (the changed
Python and JavaScript parsed: the core's ``local/syntax``), ``decide`` (the pure steps:
``analyse``, the deterministic verdict, and ``decide``, the merge), ``result`` (``POSTED``: the
fields only publishing fills; the items it lists, ``FileNote`` and ``InlineNote``), ``publish``
(with ``sarif``: the findings as a SARIF log for code scanning), ``placement`` (each finding on a
line GitHub accepts, else in the body), ``ledger`` (the memory between runs in its own summary
comment), ``describe`` (also what review offers other modes: ``READER``, named by its plugin's
``reads_changes``), ``description`` (what a diff changes, grouped for a reader, and its Markdown
for the pull request's body, whose one marked section the core's ``analysis/pr_body`` places),
``handoff/`` (the fork-safe hand-off: the result ``file``, and the ``--publish-from`` phase's
``collect``).
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

