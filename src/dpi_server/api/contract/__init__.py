"""The API's contract: wire schemas, what each operation answers, and the OpenAPI document."""

from dpi_server.api.contract.document import apply_contract
from dpi_server.api.contract.registry import OPERATIONS, Operation, Success

__all__ = ["OPERATIONS", "Operation", "Success", "apply_contract"]
