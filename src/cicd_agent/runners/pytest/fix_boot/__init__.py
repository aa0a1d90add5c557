"""Files the verifier copies into its sandbox's ``fix-boot`` folder, first on the ``PYTHONPATH``
of the runs they watch: the in-run check and its guard (the fix judge's runs and every
session's), and the guard of a fail-to-pass claim's runs. They run inside the project's
environment, under whatever Python it uses, so they import only the standard library and
pytest (as a plugin)."""
