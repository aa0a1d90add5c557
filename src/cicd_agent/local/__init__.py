"""Everything that touches the machine: git, processes, caches, checkout files, the audit file.

Why a package of its own: ``analysis/`` is pure functions over data (no subprocess, no git, no
file writes), so it runs offline and fast in tests; the code that reads a repository, runs
git or writes a file lives here, and ``tests/project/test_layers.py`` keeps
the arrow pointing one way (analysis never imports this package).

What each module holds: ``processes`` (the one place any process starts, never with the job's token
or keys: ``tests/project/test_process_seam.py``; ``environment``, what every process is not
handed), ``git`` (the one place a git process starts, hardened:
``tests/project/test_git_seam.py``), ``job_tools`` (the job's own tool a runner or fixer runs,
never a file of the checkout), ``gitrepo`` (reads between commits), ``checkout`` (``GitCheckout``,
a checkout: diffs, blobs, attributes; ``ctx.checkout`` opens it once per run), ``change_set`` and
``range_findings`` (a range read from git), ``syntax`` (a change's Python and JavaScript
parsed, the JavaScript by node in ``syntax_js``: review's and deploy-gate's), ``zizmor`` (the
workflow audit's process), ``git_ops``
(the git operations other layers ask for, each a named function: nobody else builds git's
arguments), ``push`` (gen-tests' commit and push), ``cachefile``, ``checkout_files`` (the one way a
checkout's files are opened on the host: no link followed, never ``.git``, bounded), ``audit`` (the
audit file).
"""
