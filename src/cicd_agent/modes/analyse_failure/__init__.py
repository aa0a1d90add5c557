"""analyse-failure's parts: collecting a failed run, judging it, asking the model, rendering
and publishing.

``collect`` gathers the logs (scanned once), the change under test, flakiness evidence and,
with ``fix`` on, the fix floor's verdicts from the sandbox (``runs`` holds the GitHub reads,
``change`` the git reads, ``facts`` their shapes); ``verdict`` is the deterministic analysis
(``logs``); ``prompt`` holds the model's schema, its prompt, its token budget and the
call to the fix step's tool loop; ``decide`` the guardrails that merge its answer with the
verdict; ``result`` renders the one result object; ``publish`` writes the excerpt file, the
fix, the comment and the Slack message; ``fix`` is the optional fix step. The mode module
(``modes/analyse_failure/mode.py``) only wires them.
"""
