"""go test: its sandboxed run (``runner``), the witness it adds to a run and the reading of
go's stream against it (``witness``), and its report's shape in a failed log (``log``)."""
