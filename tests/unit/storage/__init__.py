"""Models, repositories and migrations."""
