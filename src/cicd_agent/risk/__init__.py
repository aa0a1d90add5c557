"""Change risk and how deploy-gate learns it from the repository's own history; review and
deploy-gate score a change through the same two calls of :mod:`.service`.

Most modules are pure scoring; only ``mining``, ``store``, ``deepen``, ``checkout`` (with
``what_changed``, the changed files' contents) and ``service`` reach git or files
(``tests/project/test_layers.py`` keeps the split)."""
