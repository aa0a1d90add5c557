"""Runner I/O: step outputs, job summary, annotations, progress, safe Markdown, exit codes.

One job: talking to the Actions runner (and a terminal, run locally) the way it reads things.
It knows nothing of GitHub's REST API, models or modes; every other layer may import it, so
nothing here imports them back, and this ``__init__`` imports nothing (``--help`` pays for
what it uses and no more).
"""
