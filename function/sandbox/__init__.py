"""A local stand-in for Pinterest's Conversions API v5, so the gateway can be tested without Pinterest.

Run it with `python -m function.sandbox`, or in-process with `start_sandbox()`; server.py documents
the endpoints and faults.py the fault configuration.
"""

from function.sandbox.faults import FaultConfig, parse_fault_config
from function.sandbox.server import Sandbox, start_sandbox

__all__ = ["FaultConfig", "Sandbox", "parse_fault_config", "start_sandbox"]
