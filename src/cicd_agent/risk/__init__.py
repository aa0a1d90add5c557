"""Change risk and how deploy-gate learns it from the repository's own history.

Owned with deploy-gate, whose risk model it is; review and deploy-gate score a change through
the same two calls of :mod:`.service`. Most modules are pure scoring (no git, no file, no
process); five reach the world: ``mining`` (the past read from git, with its cache), ``store``
(the weekly fit, with its cache), ``deepen`` (a shallow clone's missing history), ``checkout``
(the change read from the checkout) and ``service``. ``tests/project/test_layers.py`` keeps the
split. The risk scale itself is ``analysis.scale.RiskLevel``.
"""
