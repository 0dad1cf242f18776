"""The update path: the confirming poller, the unit-of-work middleware, the outbox writer."""
