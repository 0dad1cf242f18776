"""Tests without Telegram or a process: parsers, services, views, storage, the alarm."""
