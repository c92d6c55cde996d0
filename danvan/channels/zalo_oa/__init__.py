"""Zalo Official Account: webhooks in (`inbound`, `payloads`, `signature`), replies out
(`outbound`, `oauth`), and recorded payloads (`fixtures/`)."""
