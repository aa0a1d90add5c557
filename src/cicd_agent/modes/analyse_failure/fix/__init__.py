"""analyse-failure's fix step: a patch proposed, by the repository's own fixer or the model's
tool loop, is offered only when the fix judge (:mod:`cicd_agent.verify.fixes`) verified
it in the sandbox.

A package of its own because it is optional, and the one part of the mode that runs the
checkout's code.
"""
