"""Zalo template messages by phone (ZNS, "ZBS Template Message" since 2026; zalo.md §5–6).

The way to reach a citizen after Zalo's OA messaging window has closed (48 h free, 7 days
charged, then -230): an approved template, filled with a notice's fields, sent with the OA's
access token to the phone the citizen shared. Same shape as the other channels: `outbound.py`
(the sender), `inbound.py` (delivery receipts, which arrive on the OA webhook with
`X-ZEvent-Server: ZNS`), `catalog.py` (templates and quota, read from Zalo), `fixtures/`.
"""
