"""analyse-failure's parts: collecting a failed run, asking the model, rendering and publishing.

``collect`` gathers logs, the change under test and flakiness evidence (``runs`` holds the
GitHub reads, ``change`` the git reads); ``prompt`` holds the model's schema, its prompt and
its token budget; ``decide`` the guardrails that merge its answer with the deterministic
analysis (``analysis.logs``); ``result`` renders the one result object; ``publish`` writes the
comment, the Slack message and the excerpt file; ``fix`` is the optional fix step. The mode
module (``modes/analyse_failure/mode.py``) only wires them.
"""
