"""Red team, round three (a mode stalled by hostile text): gitleaks' ``curl-auth-user`` and
``curl-auth-header`` rules (``\\bcurl\\b(?:.*?|.*?(?:[\\r\\n]{1,2}.*?){1,5})[ \\t\\n\\r](?:-u|…``)
are searched over the whole text, and each ``curl`` on a line starts a lazy scan to the end of
that line and five more: quadratic in the line. ``find_secrets`` on one line of ``curl -u ``
repeated quadruples its time each time the line doubles: a review of a file holding one such
line of tens of KB stalled, a few MiB of them take hours, and a log of such lines (each cut
to 8 KB) stalled its redaction for minutes.

The fix (``Rule.reach``, tried in ``analysis/secrets/matcher.py`` ``_matches``): for
these two rules a start after the first ``curl`` of a line can only match what the first
one's ``.*?`` reaches too, so one try per line (from its first keyword) finds every match,
in linear time. Given the same deadline as the first round's stall tests.
"""

from __future__ import annotations

from pathlib import Path

from tests.modes.review.test_review_stall_red_team import _review_ends

CURL_LINE = "curl -u " * 8_000


def test_a_line_of_curl_commands_does_not_stall_review(tmp_path: Path) -> None:
    _review_ends(tmp_path, {"deploy.sh": CURL_LINE + "\n"})
