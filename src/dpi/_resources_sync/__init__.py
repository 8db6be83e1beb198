"""The resources of `Client`, one module a group of operations (`client.slots`...).

Written by scripts/sync_sdk.py from `_resources/__init__.py`: do not edit; change that file and
run `python scripts/sync_sdk.py`.
"""
