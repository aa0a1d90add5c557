"""The test runners cicd-agent knows, one folder each (``pytest/``, ``jest/``, ``vitest/`` with
``js/``, what the two share, ``go/``, ``cargo/``, ``maven/``, and ``node/``: the runners only the
test step reads) and one row each in :mod:`.table`; ``logs_only/`` holds the shapes of runners
whose logs are read but never run.

Start at :mod:`.table`: each row names what a runner gives each consumer, whose small protocols
are in :mod:`.protocol`. :mod:`.lookups` answers the questions asked of the table as a whole
(which runner a command runs, which a file's tests use), and :mod:`.sandboxes` opens a run's
sandbox. CONTRIBUTING walks through adding one.
"""
