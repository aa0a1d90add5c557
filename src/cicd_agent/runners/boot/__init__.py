"""Files the fix step copies into its sandbox, first on the ``PYTHONPATH`` of the failing
command's runs. They run inside the project's environment, under whatever Python it uses, so
they import only the standard library and pytest (as a plugin)."""
