"""Zalo Bot API (the Telegram-like bot product): webhooks in (`inbound`, `payloads`), replies
out (`outbound`), and recorded updates (`fixtures/`)."""
