"""The resources of `Client`, one module a group of operations (`client.slots`...).

Generated from `_resources/__init__.py` by scripts/sync_sdk.py: edit that file, not this one.
"""
