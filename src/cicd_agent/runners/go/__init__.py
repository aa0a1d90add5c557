"""go test: its sandboxed run and witness (``runner``), its report's shape in a failed log
(``log``) and the checkout's file a test's message names by its base name (``paths``)."""
