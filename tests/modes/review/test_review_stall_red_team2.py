"""Red team, round three (a mode stalled by hostile text): gitleaks' ``curl-auth-user`` and
``curl-auth-header`` rules (``\\bcurl\\b(?:.*?|.*?(?:[\\r\\n]{1,2}.*?){1,5})[ \\t\\n\\r](?:-u|…``)
are searched over the whole text, and each ``curl`` on a line starts a lazy scan to the end of
that line and five more: quadratic in the line. ``find_secrets`` on one line of ``curl -u ``
repeated: 8 KB 0.6 s, 16 KB 2.4 s, 32 KB 8.6 s (``python -c`` on this machine, two cores
shared). Review of a file holding one 64 KB such line took 32 s (a small change takes about
1 s); a few MiB of them take hours. Log lines (cut at 8 KB) cost 0.6 s each in redaction:
a 3 MiB log of them about four minutes.

The fix (``Rule.reach``, tried in ``analysis/secrets/matcher.py`` ``_matches``): for
these two rules a start after the first ``curl`` of a line can only match what the first
one's ``.*?`` reaches too, so one try per line (from its first keyword) finds every match,
in linear time. Given 15 s, as the first round's stall tests are.
"""

from __future__ import annotations

from pathlib import Path

from tests.modes.review.test_review_stall_red_team import _review_ends

CURL_LINE = "curl -u " * 8_000


def test_a_line_of_curl_commands_does_not_stall_review(tmp_path: Path) -> None:
    _review_ends(tmp_path, {"deploy.sh": CURL_LINE + "\n"})
