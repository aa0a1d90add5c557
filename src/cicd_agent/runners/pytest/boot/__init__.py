"""Files copied into the sandbox's boot folder, first on the ``PYTHONPATH`` of every run.

They run inside the user's project environment, under whatever Python it uses, so they import
only the standard library, coverage (when measuring) and pytest (as a plugin).
"""
