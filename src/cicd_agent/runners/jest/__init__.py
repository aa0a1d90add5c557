"""jest: its sandboxed run (``runner``); what it shares with vitest is in :mod:`..js`."""
