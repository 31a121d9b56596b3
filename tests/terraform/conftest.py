"""terraform itself with the provider stand-in, one copy of the module for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.terraform.deployment import ROOT
from tests.terraform.workspace import Terraform


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Terraform]:
    runner = Terraform(tmp_path_factory.mktemp("terraform"))
    try:
        yield runner
    finally:
        runner.close()
    assert not list(ROOT.glob("terraform/**/.terraform.lock.hcl")), "a lock file in the repository"
