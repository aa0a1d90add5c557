"""Change risk and how deploy-gate learns it from the repository's own history.

Pure scoring (no git, no file, no process; ``tests/project/test_layers.py`` keeps it so):
``records`` (the plain values read from the past), ``features``, ``reasons`` and ``weights``
(the hand-set priors), ``floors`` (floors, ceilings and whose identity counts), ``jit`` (each
past commit's row), ``labels`` (reverted and fix-inducing), ``model`` (the monotone fit) and
``prior`` (the cross-repository weights). Reading the world: ``store`` (the weekly fit and
its cache, over ``mining``: the past, cached per commit), ``history`` (the touched files'
past), ``evidence`` (the diff-text detectors); ``score`` and ``fit`` put them together for
review and deploy-gate. The risk scale itself is
``analysis.scale.RiskLevel``.
"""
