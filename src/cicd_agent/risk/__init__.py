"""Change risk and how deploy-gate learns it from the repository's own history.

Owned with deploy-gate, whose risk model it is; review reads the same risk through
``api/risk``. Pure scoring (no git, no file, no process; ``tests/project/test_layers.py`` keeps it
so): ``records`` (the plain values read from the past), ``score`` (the features and the hand-set
priors: weights, reasons, score), ``floors`` (floors, ceilings and whose identity counts), ``jit``
(each past commit's row, and the labels: reverted and fix-inducing), ``model`` (the monotone fit),
``prior`` (the cross-repository weights, ``data/risk_prior.json``), ``evidence`` (the diff-text
detectors) and ``fit`` (the fitted score). Reading the world, in four modules: ``mining`` (the past
read from git, with its cache), ``store`` (the weekly fit, with its cache), ``deepen`` (a shallow
clone's missing history, fetched and kept) and ``checkout`` (the change's diff text, the touched
files' past, and ``assess_risk``, which puts them together for review and deploy-gate).
The risk scale itself is ``analysis.scale.RiskLevel``.
"""
