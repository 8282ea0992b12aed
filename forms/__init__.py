"""forms adapter (arrives in a later issue)."""
