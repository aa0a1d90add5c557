"""go test: its sandboxed run and witness (``runner``) and its report's shape in a failed log
(``log``)."""
