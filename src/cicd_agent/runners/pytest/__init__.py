"""pytest: everything cicd-agent knows of it, in one folder
(``tests/project/test_runner_folders.py``).

``boot/`` and ``in_run/`` are never imported by a host module, only loaded first into a sandboxed
run; ``changed_lines.py`` runs in the project's own Python, so it is handed out as text."""

from importlib import resources


def changed_lines_tracer() -> str:
    """The tracer the test step loads into the job's pytest runs: what changed lines each test
    ran."""
    return resources.files(__name__).joinpath("changed_lines.py").read_text("utf-8")
