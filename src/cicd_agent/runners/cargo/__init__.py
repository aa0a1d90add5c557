"""cargo test: its sandboxed run and in-run check (``runner``), the crate's layout as Cargo reads it
(``crate``), its report's shape in a failed log (``log``) and how a retry selects a failed
doctest (``doctests``)."""
