"""Config for the `tortoise` CLI (makemigrations needs no database); the app builds its own."""

from models import tortoise_config

TORTOISE_ORM = tortoise_config("sqlite://:memory:")
