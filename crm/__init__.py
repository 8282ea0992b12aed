"""The core: use cases, rules, permissions and history. Never imports aiogram or aiohttp."""
