"""The resources of `AsyncClient`, one module a group of operations (`client.slots`...).

These modules are the source of the sync resources too: `scripts/sync_sdk.py` writes
`dpi._resources_sync` from them, and a test fails when the two drift.
"""
