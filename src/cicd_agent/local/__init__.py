"""Everything that touches the machine: git, processes, caches, checkout files, the audit file.

``analysis/`` stays pure and offline, and ``tests/project/test_layers.py`` keeps it from
importing this package. Three seams here hold for the whole project, each kept by a test:
``processes`` (the one place a process starts, never with the job's token or keys), ``git`` (the
one place a hardened git process starts) and ``checkout_files`` (the one way a checkout's file is
opened on the host)."""
