"""Proof of a patch: what cicd-agent proposes is judged by running it in the sandbox.

A claim (this failing command now passes, these tests pass every time, this suggestion keeps
the tests and linters passing) comes back as evidence (what ran, how often, what passed, the
in-run check's record) or as the reason it was refused. A judge one mode alone asks lives in that
mode (analyse-failure's ``fix/judge/``, review's ``keeps_passing``, gen-tests' ``reruns``); what
they share lives here, so a pass means the same in every mode: the words every judge shows a
pass in (:mod:`.contract`: a pass is not proof, a change is "checked"; each mode's claims and
verdicts are its own), the judged copies of the checkout (:mod:`.judged`), and the mutants of a
change's lines (:mod:`.mutation`, :mod:`.mutants`). A step's script is the fix judge's alone
(``fix/judge/script.py``).
:mod:`.orders` is the test step's alone but stays here: it holds pytest's own knowledge (its
``PYTHONPATH``), which the test step's modules may not (``tests/project/test_runner_knowledge.py``).
Each test runner's part of a judged run (its in-run check, its report) lives in its folder under
``runners/``.
"""
