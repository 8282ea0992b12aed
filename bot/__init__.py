"""bot adapter (arrives in a later issue)."""
