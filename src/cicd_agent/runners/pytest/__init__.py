"""pytest: its sandboxed run and in-run check (``runner``), its report's shape in a failed log
(``log``), the files its runs load first (``boot``), and the test step's changed-lines tracer
(``changed_lines``, handed out as text by :func:`changed_lines_tracer`).

Also: ``boot/`` (what every run loads first: coverage started in each process, the gate's
plugin of outcomes and shuffling, a stand-in for pytest-cov), ``fix_boot/`` (what the verifier's
watched runs load first: the in-run check and its guards, for the fix judge's runs, every
session and a fail-to-pass claim) with ``in_run_records`` (what the in-run check recorded),
``evidence`` (its JUnit report as the fix judge reads it), ``watch`` (the fix judge's watch made of
the two), ``plugins`` (what a failed step loads into pytest by name), ``log.toml`` (its signature
rows) and ``step`` (its part of the test step: its retries, its usage error, the changed-lines
tracer).
"""

from importlib import resources


def changed_lines_tracer() -> str:
    """The source of the tracer the test step loads first into the job's pytest runs: which
    changed lines each test ran. It runs in the project's own Python, so the step writes it
    into a folder of its own rather than importing it."""
    return resources.files(__name__).joinpath("changed_lines.py").read_text("utf-8")
