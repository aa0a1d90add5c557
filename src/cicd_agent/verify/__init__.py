"""The verifier: the one engine that judges what cicd-agent proposes, in the sandbox.

Given a checkout, a patch and a claim (this failing command now passes, these tests pass every
time, this suggestion keeps the tests and linters passing), it returns evidence (what ran, how
often, what passed, the in-run check's record) or a refusal with its reason. No mode runs the
sandbox for a claim itself. CONTRIBUTING's table names what each module holds.
"""
