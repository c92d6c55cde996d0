"""The domain core. Imports no web framework: called alike from routes, the CLI, workers, tests.

Naming (after Zulip): `access_*` checks the actor's scope and fetches, `check_*` validates,
`do_*` writes, records the audit entry and queues what must be sent.
"""
