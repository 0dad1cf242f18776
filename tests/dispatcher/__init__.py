"""The real dispatcher fed updates, with a mocked Telegram session and an injected clock."""
