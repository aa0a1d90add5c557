"""analyse-failure: why a CI run failed, where, what to do, and whether it is flaky (its files
below).

Its files: ``mode.py`` (wiring), ``options``, ``types`` (``FailureFacts`` and the run, change and
jobs it holds, ``ExcerptFit``: how the excerpt is fitted, ``FailureVerdict``, ``FailureOpinion``),
``collect`` (the logs scanned once, the change, flakiness evidence; ``fit`` builds the
``ExcerptFit``), ``runs``, ``change``, ``prompt`` (the diagnosis' schema and text), ``ask``
(``fix``, the fix step without a model between analyse and ask; the diagnosis, then the fix's model
loop), ``decide`` (the pure steps: ``analyse``, the deterministic verdict, and ``decide``, the
merge), ``verdict`` (what the verdict is made of: the logs judged with the excerpt's budget, the
flakiness evidence), ``result``, ``publish``; ``logs/`` reads the logs, ``fix/`` is the optional
fix step.
"""

from cicd_agent.plugins import ModePlugin

PLUGIN = ModePlugin(
    "analyse-failure",
    __name__,
    "find the error in a failed run's logs, say why it failed and whether it is flaky",
    "options:AnalyseFailureOptions.from_given",
    order=3,
)

