"""What runs inside the sandbox for cargo's repeats, never in the agent's own process."""
