"""Nothing to publish: the canary verdict is for the workflow, through the step outputs."""
