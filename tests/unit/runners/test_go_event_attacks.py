"""``go test -json``'s stream is read for each test's end; its lines are the tests' word where
a test writes to go's own output (through ``/proc``), so a line can carry any escape JSON
allows. A lone surrogate (``\\ud800``) in a test's name becomes U+FFFD, as the project's one
JSON reader makes it: an id no codec encodes would crash every later write of it (the summary,
the flaky rows' file, an annotation)."""

from __future__ import annotations

from cicd_agent.runners.go.in_run_check import read_events
from cicd_agent.runners.go.runner import failed_output, repeat_counts

STREAM = "\n".join([
    r'{"Action":"run","Package":"example.com/shop","Test":"TestAdd\ud800"}',
    r'{"Action":"output","Package":"example.com/shop","Test":"TestAdd\ud800","Output":"x\udfff\n"}',
    r'{"Action":"fail","Package":"example.com/shop","Test":"TestAdd\ud800"}',
    r'{"Action":"fail","Package":"example.com/shop"}',
])  # fmt: skip


def test_attack_a_lone_surrogate_in_go_s_events_is_read_as_u_fffd() -> None:
    ended, _ = read_events(STREAM, 1, {})
    assert ended and all(name.encode() for name in ended), ended
    assert all("\ufffd" in name for name in ended), ended
    counts = repeat_counts(STREAM, {})
    assert all(name.encode() for name in counts), counts
    assert failed_output(STREAM).encode()
