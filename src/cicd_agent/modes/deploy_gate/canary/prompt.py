"""No prompt: the canary phase asks no model; a statistical test over real samples judges it."""
