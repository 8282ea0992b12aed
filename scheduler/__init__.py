"""scheduler adapter (arrives in a later issue)."""
