"""The real `python -m bot` process against the fake Bot API server on 127.0.0.1."""
