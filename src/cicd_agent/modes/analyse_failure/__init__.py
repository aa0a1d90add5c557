"""analyse-failure: why a CI run failed, where, what to do, and whether it is flaky (the step
files are listed in CONTRIBUTING.md; ``logs`` reads the logs, ``fix`` is the optional fix step)."""
