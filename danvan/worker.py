"""Placeholder until the outbox worker lands."""
