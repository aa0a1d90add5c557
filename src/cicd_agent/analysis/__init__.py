"""What two or more modes use, as pure functions over data: no process, no git, no file written.

Diffs, change types, canary statistics, redaction (``redact``); the risk scale in ``scale``, the
findings' severity scale in ``severity``; a failed run's analysis as types in ``log_model``, a
test's past runs as data in ``history``, and the tools the fix step and review know in
``known_tools`` (read from ``data/known_tools.toml``). A finding's text on GitHub (heading, hidden
marker) is written and read back only by ``finding_text``; file names reach prompts only through
``file_names``. This package imports nothing from ``modes/``, ``github/``, ``model/`` or
``local/``, and starts no process (``tests/project/test_layers.py``).
"""
