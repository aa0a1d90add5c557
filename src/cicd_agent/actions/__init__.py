"""Runner I/O: step outputs, job summary, annotations, progress, safe Markdown, exit codes.

One job: talking to the Actions runner (and a terminal, run locally) the way it reads things.
It knows nothing of GitHub's REST API, models or modes; every other layer may import it, so
nothing here imports them back, and this ``__init__`` imports nothing (``--help`` pays for
what it uses and no more).

What each module holds: ``runner_io`` (outputs, summary, annotations, masking; the summary as a
terminal shows it), ``masking`` (which names hold a secret, which values are hidden), ``inputs``,
``progress``, ``markdown`` (untrusted text made safe), ``withheld`` (the redaction every posted
text passes first), ``bidi`` (the bidirectional controls every posted text shows as code points),
``errors`` (exit codes; a message is one line whatever it quotes), ``deadline``, ``bounded_json``
(the one reader of outside JSON), ``notify`` (the Slack message a mode may post, its text built
only by ``slack_text``).
"""
