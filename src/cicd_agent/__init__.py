"""cicd-agent: a guard-railed, model-assisted reasoning step for CI/CD pipelines."""

__version__ = "0.1.0"
