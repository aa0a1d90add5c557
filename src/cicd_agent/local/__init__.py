"""Everything that touches the machine: git, processes, caches, checkout files, the audit file.

Why a package of its own: ``analysis/`` is pure functions over data (no subprocess, no git, no
file writes), so it runs offline and fast in tests; the code that reads a repository, runs
git or writes a file lives here, and ``tests/project/test_layers.py`` keeps
the arrow pointing one way (analysis never imports this package).

Three seams here hold for the whole project, each kept by a test under ``tests/project/``:
``processes`` (the one place a process starts, never with the job's token or keys), ``git``
(the one place a git process starts, hardened) and ``checkout_files`` (the one way a checkout's
file is opened on the host: no link followed, never ``.git``, bounded).
"""
