"""analyse-failure's fix step, a client of :mod:`cicd_agent.verify`: a patch proposed (by the
repository's own fixer, ``fixers``, or the model's tool loop, ``agent``), judged by the one
verifier in the sandbox, then offered (``outcome``, and the mode's ``publish``) only when it was
verified."""
