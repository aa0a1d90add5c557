"""The fork hand-off: a review result written to a file by a run that cannot post (``file``),
published by a privileged run as a phase of its own (its collect step here, its wiring
review's :func:`~cicd_agent.modes.review.mode.publish_handoff`)."""
