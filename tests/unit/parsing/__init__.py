"""Readers of typed text."""
