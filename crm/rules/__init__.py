"""Pure rules: no I/O, no database, tested as plain functions."""
