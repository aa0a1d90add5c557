"""node's own test runner (``node --test``) and mocha in the test step: each run writes its
outcomes into the step's folder while the job's log keeps a readable report, and a retry names
the failed tests again by their titles."""
