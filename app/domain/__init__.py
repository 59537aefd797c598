"""Pure business rules: no database, no I/O, no globals, no Qt."""
