"""analyse-failure's fix step, a client of :mod:`cicd_agent.verify`: a patch proposed (by the
repository's own fixer, ``fixers``, or the model's tool loop, ``agent``), judged by the one
verifier in the sandbox, then offered (``outcome``, and the mode's ``publish``) only when it was
verified.

Its files: ``command`` (the failing command from the log), ``fixers`` (the fix without a model),
``agent`` (the model's loop) with ``tools`` (each tool's typed arguments, the schema the SDK
derives, and the checkout as the tools read it), ``attempt`` (``start``, which the mode's
``ask.fix`` calls between analyse and ask to run the fix without a model in the sandbox, with the
check that the checkout is the failed commit), ``outcome`` (its part of the result, built and
rendered), ``publish``.
"""
