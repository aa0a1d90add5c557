"""What two or more modes use, as pure functions over data: no process, no git, no file written.

It imports nothing from ``modes/``, ``github/``, ``model/`` or ``local/``
(``tests/project/test_layers.py``). A finding's text on GitHub is written and read back only by
``finding_text``; file names reach prompts only through ``file_names``."""
