"""analyse-failure's fix step: a patch proposed, verified in the sandbox, then offered.

``contract`` holds the shapes every part shares: the failing command read from the log, a
candidate patch, and the verdict of running it. Deterministic fixers (the repository's own
linters and formatters) and the model's tool loop both produce :class:`~.contract.Patch`;
only a :class:`~.contract.Verifier` decides whether one is offered.
"""
