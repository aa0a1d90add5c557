"""go test: its sandboxed run (``runner``), the in-run check it adds to a run and the reading of
go's stream against it (``in_run_check``), its report's shape in a failed log (``log``) and the
checkout's file a test's message names by its base name (``paths``); the flaky-test fixer's
runs of chosen tests in a chosen order (``orders``, in the sandbox of ``sessions``) and the
set-up it moves between tests (``set_up``)."""
