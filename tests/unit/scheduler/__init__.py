"""The alarm clock and delivery, without Telegram."""
