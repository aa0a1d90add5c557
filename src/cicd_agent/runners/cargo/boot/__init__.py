"""What runs inside the sandbox for cargo's repeats, never in the agent's own process: the
launcher (:mod:`.launcher`), run by our interpreter in a run of its own."""
