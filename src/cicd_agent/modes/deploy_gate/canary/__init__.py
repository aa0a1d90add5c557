"""deploy-gate, canary phase: compare canary and baseline metrics, promote or roll back.

Its files: ``mode.py`` (wiring), ``options``, ``types`` (``CanaryFacts``, ``CanaryVerdict``),
``config`` (with ``query_shape``: what a query's text tells of its metric), ``collect``
(Prometheus), ``sources/`` (one file per metric store), ``prompt`` (none), ``decide`` (pure: the
samples judged into a ``CanaryVerdict``, and the result: the canary judge), ``result``, ``publish``
(the decision record only).
"""
