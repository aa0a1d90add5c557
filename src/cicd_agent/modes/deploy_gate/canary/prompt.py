"""No prompt: the canary phase asks no model; a Mann–Whitney test over real samples judges it."""
