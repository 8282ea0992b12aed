"""The Telegram bot adapter (aiogram 3): routers per feature, rendering, the outbox sender."""
