"""Tortoise migrations, applied by `carnet db upgrade`."""
