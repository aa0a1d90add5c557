"""Change risk and how deploy-gate learns it from the repository's own history.

``score`` rates a change with hand-set priors (``features``, ``reasons``, ``weights``) and
``floors`` that no score may go under, from the ``evidence`` the diff-text detectors read;
review and deploy-gate share it, so ``risk_level`` means the same in both. deploy-gate then
refits the score (``fit``): ``mining`` reads the past commits from git (cached), ``labels``
marks which were later reverted or needed a fix, ``jit`` replays them into feature rows,
``model`` fits a regression blended with the cross-repository ``prior``. ``history`` reads the
touched files' past for the evidence. The risk scale itself is ``analysis.scale.RiskLevel``.
"""
