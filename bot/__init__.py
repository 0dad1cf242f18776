"""Nudge: the working memory of an agency account manager, as a Telegram bot."""

__version__ = "0.1.0"
