"""The outcomes a test step's run reports, each test by its runner's id, and the ids that
name no one test: an id two or more of the run's results bear, and a result whose report
places it apart from the file its runner collected it from (its id then rebuilt from its
class path alone). A quarantine entry excuses neither: it could not tell which test it names."""

from __future__ import annotations


class StepOutcomes(dict[str, bool]):
    """Test (its runner's id) → passed, every result under one id failing it when any failed;
    :attr:`unsure`: the ids that name no one test."""

    def __init__(self) -> None:
        super().__init__()
        self.unsure: set[str] = set()
        self.incomplete = ""
        """Why some of the run's tests never reported, as a clause with the fix ("" when all
        did): a test module pytest could not import, a Go package that did not build, or one a
        panic ended before its other tests ran. Those tests are no tests of the run."""
        self.said: dict[str, str] = {}
        """Each failed test's message, as its report gives it (the test's own text), where the
        report holds one (JUnit's ``failure message``)."""
        self.unloaded: dict[str, str] = {}
        """Each failed test that is a file which failed to load, with the error line the
        runner's output gave (node's ``ReferenceError: describe is not defined``)."""

    def add(self, test: str, passed: bool, *, placed: bool = True) -> None:
        """One result of ``test``; ``placed`` false: its report names a file other than the one
        its id was built from."""
        if test in self or not placed:
            self.unsure.add(test)
        self[test] = self.get(test, True) and passed
