"""pytest's in-run check, its guard and the fail-to-pass guard: files copied into a sandbox's
``fix-boot`` folder, first on the ``PYTHONPATH`` of the runs they watch. Every pytest run whose pass
is believed stands on them, not only the fix step's: the fix judge's runs, every pytest session's
(review's suggestion check, gen-tests' runs), and a fail-to-pass claim's runs (the guard). They run
inside the project's environment, under whatever Python it uses, so they import only the standard
library and pytest (as a plugin)."""
