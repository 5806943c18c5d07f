"""Progressive rollouts: a state machine persisted in Redis, advanced by scheduled jobs and events."""
