"""dpi: a Python client of the Docplanner Integrations API."""

__all__: list[str] = []
