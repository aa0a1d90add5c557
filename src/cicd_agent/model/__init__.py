"""The model layer: settings, token budget, usage and cost, and the client. ``client`` and its
helpers import the SDK, so the CLI imports them only when a mode asks the model; ``--help`` never
does."""
