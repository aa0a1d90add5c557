"""gen-tests' sandbox is the verifier's pytest sandbox (:mod:`cicd_agent.verify.pytest_sandbox`),
which review's suggestion check uses too; kept under this name for gen-tests' modules."""

from cicd_agent.verify.pytest_sandbox import EVIDENCE_FD_VARIABLE
from cicd_agent.verify.pytest_sandbox import PytestSandbox as Sandbox

__all__ = ["EVIDENCE_FD_VARIABLE", "Sandbox"]
