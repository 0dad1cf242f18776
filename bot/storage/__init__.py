"""Persistence: models, repositories and migrations; never imports aiogram."""
