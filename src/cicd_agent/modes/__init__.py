"""This project's own modes, one plugin package each (:mod:`cicd_agent.plugins` says how a mode
is registered and found). Nothing here is imported by the core."""
