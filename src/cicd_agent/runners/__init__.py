"""The test runners cicd-agent knows, one folder each and one row each in :mod:`.table` (``node/``:
the runners only the test step reads; ``logs_only/``: runners whose logs are read but never run).

Start at :mod:`.table`: each row names what a runner gives each consumer, whose small protocols
are in :mod:`.protocol`. CONTRIBUTING walks through adding one."""
