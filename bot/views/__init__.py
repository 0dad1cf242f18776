"""How things look in a message: texts, both clocks and keyboards, one module per concern."""
