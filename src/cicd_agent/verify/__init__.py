"""The verifier: the one engine that judges what cicd-agent proposes, in the sandbox.

Given a checkout, a patch and a claim (this failing command now passes, these tests pass every
time, this suggestion keeps the tests and linters passing), it returns evidence (what ran, how
often, what passed, the in-run check's record) or a refusal with its reason. No mode runs the
sandbox for a claim itself.

What each module holds: ``contract`` (the claim's shapes), ``judge`` (``SandboxVerifier``, the fix
judge), ``policy`` (with the links to the runner's settings), ``named_files`` and
``runner_settings`` (what a patch may never touch), ``reruns`` (the reruns of tests) with
``conditions`` (what they vary), ``suggested`` (review's suggestions), ``fail_to_pass``,
``mutants`` with ``mutation`` (a generated test's dependence on the code), ``patching``,
``script``. The in-run checks and each test runner's helpers live in ``runners/``, the tool table
in ``analysis/known_tools``.
"""
