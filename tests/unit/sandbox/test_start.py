"""How a run's command starts and is told apart from the sandbox's own failure
(:mod:`cicd_agent.sandbox.start`), without starting a sandbox."""

from __future__ import annotations

import pytest

from cicd_agent.sandbox.start import bwrap_words, program_found


def test_a_program_the_path_lacks_is_refused_before_prlimit_would_start_it() -> None:
    """Behind the limits' ``prlimit`` a missing program must still be an OSError of ours, as
    it is without them, never prlimit's own words read as the command's."""
    with pytest.raises(FileNotFoundError):
        program_found(["no-such-program-of-ours"], {"PATH": "/nonexistent"}, ["prlimit"])
    found = program_found(["sh", "-c", "true"], {"PATH": "/usr/bin:/bin"}, ["prlimit"])
    assert found[0].endswith("/sh") and found[1:] == ["-c", "true"]
    assert program_found(["sh"], {"PATH": "/nonexistent"}, ()) == ["sh"]  # no limits: as given


def test_the_sandboxs_last_own_error_line_is_its_failure_and_the_commands_words_are_not() -> None:
    output = "bwrap: Can't mount proc\nprlimit: failed to set the limit\nthe command's line"
    assert bwrap_words(output) == "prlimit: failed to set the limit"
    assert bwrap_words("a test printed: bwrap: nothing\n") == ""
    assert len(bwrap_words("bwrap: " + "x" * 1000)) == 300
