"""Change risk and how deploy-gate learns it from the repository's own history.

Pure scoring (no git, no file, no process; ``tests/project/test_layers.py`` keeps it so):
``records`` (the plain values read from the past), ``score`` (the features and the hand-set
priors: weights, reasons, score), ``floors`` (floors, ceilings and whose identity counts),
``jit`` (each past commit's row, and the labels: reverted and fix-inducing), ``model`` (the
monotone fit), ``prior`` (the cross-repository weights), ``evidence`` (the diff-text
detectors) and ``fit`` (the fitted score). Reading the world, in two modules only: ``store``
(the past mined from git, cached per commit, and the weekly fit and its cache) and
``checkout`` (the change's diff text, the touched files' past, a shallow clone deepened, and
``assess_risk``, which puts them together for review and deploy-gate). The risk scale itself
is ``analysis.scale.RiskLevel``.
"""
