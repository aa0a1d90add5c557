"""go test: its sandboxed run (``runner``), the in-run check it adds to a run and the reading of
go's stream against it (``in_run_check``), its report's shape in a failed log (``log``) and the
checkout's file a test's message names by its base name (``paths``)."""
