"""The words every judge of a change uses for what a run shows: a pass on a pull request's own
code is not proof (:data:`NOT_PROOF`), and a change judged by running tests is shown to a reader
as "checked", never "verified" (:func:`checked`). Each mode's claims and judges are its own.

"Verified" is still a status, not a word shown for such a change: analyse-failure's
``fix_status`` says ``verified`` where the patch passed every check and the code is proof, so it
may be offered; what a reader is told it shows is this module's word."""

from __future__ import annotations

NOT_PROOF = (
    "passes in the sandbox; the code under test is the pull request's own, so this is not proof"
)
"""What a pass says when the code under test came from someone who cannot push: that code
judged the run, so a pass proves nothing."""


def checked(tests: int) -> str:
    """How a change judged by running tests is named wherever it is shown: "checked: N tests
    pass with it", never "verified", even where a status says ``verified``.

    Why not "verified", even on code from someone who can push: the tests run in one process
    with the change they judge (pytest, jest, vitest, go test, cargo), so a change written to
    pass them (an object whose ``__eq__`` is always true, a matcher reached through jest's own
    realm) passes whatever it does, and no in-run check inside that process can tell. Running the
    tests is evidence against an honest mistake, not proof against code written to pass them;
    the change judged is the model's (a fix, a test, a suggestion) or the pull request's."""
    return f"checked: {tests} test{' passes' if tests == 1 else 's pass'} with it"
