"""A step's script split into its commands, and its shell line made argv (the judge runs both)."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.analyse_failure.fix.judge.script import shell_argv, split_commands


def test_a_script_splits_by_line_but_a_compound_one_stays_whole() -> None:
    assert split_commands("cd src \\\n  && ls\n# note\nruff check .\n") == (
        "cd src \\\n  && ls",
        "ruff check .",
    )
    compound = "if true; then\n  pytest\nfi\n"
    assert split_commands(compound) == (compound,)


def test_the_shell_line_takes_the_script_and_a_windows_shell_is_refused() -> None:
    script = Path("/s/step.sh")
    assert shell_argv("/usr/bin/bash -e {0}", script) == ["/usr/bin/bash", "-e", "/s/step.sh"]
    assert shell_argv("sh", script) == ["sh", "/s/step.sh"]
    assert shell_argv("pwsh.exe -command {0}", script) is None
    assert shell_argv("bash\0 {0}", script) is None
