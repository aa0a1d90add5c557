"""vitest: its sandboxed run (``runner``); what it shares with jest is in :mod:`..js`."""
