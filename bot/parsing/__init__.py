"""Pure readers of what a person types: dates, recurrence, time zones, lead text, names, hours."""
