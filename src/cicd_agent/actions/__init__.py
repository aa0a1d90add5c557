"""Runner I/O: step outputs, job summary, annotations, progress, safe Markdown, exit codes.

Every other layer may import it, so it imports none of them, and this ``__init__`` imports
nothing (``--help`` pays for what it uses and no more)."""
