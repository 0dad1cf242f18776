"""Fake Telegram Bot API server for end-to-end tests and benchmarks."""

from tests.fakeapi.server import Call, FakeTelegram

__all__ = ["Call", "FakeTelegram"]
