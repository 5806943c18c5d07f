"""Loopback fakes of the services the bot talks to (GitHub), for unit and integration tests."""
