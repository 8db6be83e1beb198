"""The API's contract: wire schemas, what each operation answers, and the OpenAPI document."""

from dpi_server.api.contract.document import apply_contract
from dpi_server.api.contract.registry import OPERATIONS, Operation, Success
from dpi_server.api.contract.requests import json_body

__all__ = ["OPERATIONS", "Operation", "Success", "apply_contract", "json_body"]
