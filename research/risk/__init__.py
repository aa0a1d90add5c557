"""Risk research: the evaluation on real histories, the cross-repository prior's fit, and the
checks a person makes at a glance. Run from the repository root as ``python -m research.risk.NAME``;
none of it ships in the wheel (the prior's fitted numbers do, in ``data/risk_prior.json``).
"""
