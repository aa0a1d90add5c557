"""analyse-failure's parts: collecting a failed run, asking the model, rendering and publishing.

``collect`` gathers logs, the change under test and flakiness evidence (``runs`` holds the
GitHub reads, ``change`` the git reads); ``opinion`` holds the model's schema, its prompt and
the guardrails that merge it with the deterministic analysis (``analysis.logs``); ``result``
renders the one result object; ``publish`` writes the comment, the Slack message and the
excerpt file. The mode module (``modes/analyse_failure/mode.py``) only wires them.
"""
