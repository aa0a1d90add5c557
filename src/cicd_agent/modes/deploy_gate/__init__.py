"""deploy-gate, deploy phase: score change risk, choose a rollout strategy, proceed or hold.

Its files: ``mode.py`` (wiring: the deploy phase and the ``--phase`` switch), ``options``,
``types`` (``DeployFacts``, ``DeployVerdict``, ``DeployOpinion``: the answer's schema), ``collect``
(the facts, the GitHub reads through the client among them, and the diff a model is shown),
``prometheus`` (the canary's metrics client), ``safety`` (the CI signals weighed into the safety
score), ``policy`` (the rollout policy), ``analyse`` (the deterministic verdict), ``prompt`` (what
the model is shown), ``ask`` (the call, its answer cleaned), ``decide`` (pure: the merge into
``DeployResult``), ``result``, ``publish`` (the audit record, Slack); ``canary/`` is the canary
phase, ``serve/`` the canary judge behind HTTP.
"""

from cicd_agent.plugins import ModePlugin

PLUGIN = ModePlugin(
    "deploy-gate",
    __name__,
    "score change risk, choose a rollout strategy, proceed or hold",
    "options:phase_options",
    order=4,
)
