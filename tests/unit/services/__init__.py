"""Domain rules, without Telegram."""
