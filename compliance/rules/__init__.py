"""Pure TCPA, quiet-hours and fair-housing rules: no database, no I/O, easy to test and reuse."""
