"""analyse-failure's fix step: a patch proposed, verified in the sandbox, then offered.

``contract`` holds the shapes every part shares: the failing command read from the log, a
candidate patch, and the verdict of running it. Deterministic fixers (the repository's own
linters and formatters) and the model's tool loop both produce :class:`~.contract.Patch`;
only a :class:`~.contract.Verifier` decides whether one is offered.

``command`` reads the failing command from the log; ``policy`` refuses what a fix may never
touch; ``checkout`` checks the checkout is the failed commit; ``verify`` is the sandboxed
verifier; ``fixers`` the no-model floor; ``attempt`` runs
them in the collect and ask steps (the model's tool loop plugs in there); ``outcome`` is the
decide step's pure part and ``report`` its shape in the result; ``render`` the Markdown;
``publish`` the writes. ``agent`` is the model's bounded tool loop, ``calls`` its tools'
typed arguments (the schemas the SDK derives and every call is parsed into), and ``tools``
its confined, read-only view of the checkout.
"""
