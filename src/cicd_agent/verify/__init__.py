"""Proof of a patch: what cicd-agent proposes is judged by running it in the sandbox.

A claim (this failing command now passes, these tests pass every time, this suggestion keeps
the tests and linters passing) comes back as evidence (what ran, how often, what passed, the
in-run check's record) or as the reason it was refused. The pieces live here so that a pass
means the same in every mode that asks; a mode opens a judge with plain values and asks it
(:mod:`.mutants`); a judge only one mode asks lives in that mode (analyse-failure's fix judge,
in its ``fix/judge/``; review's ``keeps_passing``; gen-tests' ``reruns``; test-step's
``ordered_runs``). Each test
runner's part of a judged run (its in-run check, its report) lives in its folder under
``runners/``.
"""
