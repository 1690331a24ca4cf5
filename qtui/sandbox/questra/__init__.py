"""An emulator of Questra: its REST API, signed webhooks, and AI programming over time.

See `QuestraSandbox`, and docs/questra-compat.md for what is documented and what inferred.
"""

from qtui.sandbox.questra.errors import ApiError
from qtui.sandbox.questra.sandbox import QuestraSandbox

__all__ = ["ApiError", "QuestraSandbox"]
