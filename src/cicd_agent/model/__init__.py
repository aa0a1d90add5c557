"""The model layer: settings, token budget, usage and cost, and the client.

Import the submodules directly. ``config``, ``tokens``, ``pricing`` and ``usage`` are
cheap; ``client`` and the helpers it is built from (``reply``, ``failures``,
``http``) import the SDK, pydantic or its HTTP client, so the CLI imports them
when a mode actually asks the model, and ``--help`` never does.
"""
