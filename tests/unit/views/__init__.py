"""How things look in a message."""
