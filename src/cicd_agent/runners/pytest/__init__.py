"""pytest: everything cicd-agent knows of it, in one folder so the rest of the package holds no
rule of pytest's (``tests/project/test_runner_folders.py``).

Two of its folders are never imported by a host module, only loaded first into a sandboxed run:
``boot/`` (every run's: coverage in each process, the gate's plugin of outcomes and shuffling)
and ``fix_boot/`` (the verifier's watched runs': the in-run check and its guards). The test
step's changed-lines tracer (``changed_lines.py``) runs in the project's own Python, so it is
handed out as text (:func:`changed_lines_tracer`).
"""

from importlib import resources


def changed_lines_tracer() -> str:
    """The source of the tracer the test step loads first into the job's pytest runs: which
    changed lines each test ran. It runs in the project's own Python, so the step writes it
    into a folder of its own rather than importing it."""
    return resources.files(__name__).joinpath("changed_lines.py").read_text("utf-8")
