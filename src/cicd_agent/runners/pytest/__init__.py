"""pytest: its sandboxed run and in-run check (``runner``), its report's shape in a failed log
(``log``), the files its runs load first (``boot``), and the test step's changed-lines tracer
(``changed_lines``, handed out as text by :func:`changed_lines_tracer`)."""

from importlib import resources


def changed_lines_tracer() -> str:
    """The source of the tracer the test step loads first into the job's pytest runs: which
    changed lines each test ran. It runs in the project's own Python, so the step writes it
    into a folder of its own rather than importing it."""
    return resources.files(__name__).joinpath("changed_lines.py").read_text("utf-8")
