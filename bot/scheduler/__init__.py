"""The alarm clock (due reminders) and the outbox delivery worker."""
