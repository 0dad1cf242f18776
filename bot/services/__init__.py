"""Domain rules, one module per concern; they never import aiogram, handlers or views."""
