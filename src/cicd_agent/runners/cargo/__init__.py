"""cargo test: everything cicd-agent knows of it, in one folder."""
