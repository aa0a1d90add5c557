"""The verifier: the one engine that judges what cicd-agent proposes, in the sandbox.

Given a checkout, a patch and a claim (this failing command now passes), it returns evidence
(what ran, how often, what passed, the witness's record) or a refusal with its reason. No mode
runs the sandbox for a claim itself: analyse-failure's fix step is a client of
:class:`~.judge.SandboxVerifier`.

``contract`` holds the shapes (the failing command, a patch, a verdict); ``policy`` refuses what
a patch may never touch (with ``named_files`` and ``runner_settings``);
``judge`` runs the claim; ``evidence`` reads pytest's report, ``witnessed`` the witness's
records (``boot/``), ``import_time`` what a patch adds that runs before the tests; ``known``
the linters and formatters whose exit code may count; ``script`` a step's commands and shell.
"""
