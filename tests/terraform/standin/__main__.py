"""Run one provider of the schema file: python -m tests.terraform.standin ADDRESS SCHEMAS [--dev].

terraform starts this through the executable the filesystem mirror holds (see workspace.py).
With --dev it serves until killed, without TLS, and prints the TF_REATTACH_PROVIDERS line that
lets many terraform processes use this one process (see workspace.Servers).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import tf.provider
from tf.runner import run_provider

from tests.terraform.standin.provider import SchemaServicer


class _Named:
    """What `run_provider` asks of a provider besides its servicer: the provider's address."""

    def __init__(self, address: str) -> None:
        self._address = address

    def full_name(self) -> str:
        return self._address


def main(address: str, schemas: Path, flags: list[str]) -> None:
    document = json.loads(schemas.read_text(encoding="utf-8"))
    # run_provider builds tf's typed ProviderServicer for the provider it is given; the schema
    # here is data, not Python classes, so the generic servicer takes its place.
    tf.provider.ProviderServicer = lambda _provider: SchemaServicer(address, document)  # type: ignore[assignment]
    run_provider(_Named(address), flags)  # type: ignore[arg-type]


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3:])
