"""The composition root and the `carnet` CLI: the only package that imports every other."""
