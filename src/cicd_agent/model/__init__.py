"""The model layer: settings, token budget, usage and cost, and the client.

Import the submodules directly. ``config``, ``tokens``, ``pricing`` and ``usage`` are
cheap; only ``client`` imports ``openai`` (about a second), so the CLI imports it when a
mode actually asks the model, and ``--help`` never does.
"""
