"""The alarm clock, outbox delivery and its pacing, and what a due reminder says."""
