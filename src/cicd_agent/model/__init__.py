"""The model layer: settings, token budget, usage and cost, and the client.

Import the submodules directly. ``config``, ``tokens``, ``pricing`` and ``usage`` are
cheap; ``client`` and the helpers it is built from (``reply``, ``failures``,
``http``) import the SDK, pydantic or its HTTP client, so the CLI imports them
when a mode actually asks the model, and ``--help`` never does.

What each module holds: ``provider`` (the provider chosen and the settings given, read without
pydantic), ``config`` (those settings validated), ``client`` with ``reply`` (what is sent, what
comes back, the repair round), ``failures`` and ``http`` (what bounds a call: its size and its
time), and what the model is shown: ``prompts/`` (the templates, and ``fence`` for untrusted text).
"""
