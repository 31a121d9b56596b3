"""Reads the deployment's text as the tests see it: the parsed module and cloudbuild.yaml.

The parsers run in their own venvs (see the Makefile), so they are called as processes and
answer in JSON. What the module deploys is read from terraform's own plan (workspace.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tests.processes import missing

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "terraform"
CLOUDBUILD = ROOT / "cloudbuild.yaml"
TOOLS = {
    "hcl2": ROOT / ".venv-hcl2" / "bin" / "python",
    "yaml": ROOT / ".venv-jsonschema" / "bin" / "python",
    "checkov": ROOT / ".venv-checkov" / "bin" / "checkov",
    "check-jsonschema": ROOT / ".venv-jsonschema" / "bin" / "check-jsonschema",
}
_DUMP = Path(__file__).with_name("dump.py")


def tool(name: str) -> Path:
    """A tool from its venv; without it, skip locally and fail in CI (`make test` installs them)."""
    path = TOOLS[name]
    if not path.exists():
        missing(f"{path.relative_to(ROOT)} is missing: `make test` installs it")
    return path


def run(args: list[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Runs a tool, capturing its output as text."""
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False, **kwargs)


def _json_from(args: list[str | Path]) -> Any:
    done = run(args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@dataclass(frozen=True)
class Module:
    """The parsed .tf files of a directory, by path relative to it."""

    files: Mapping[str, Mapping[str, Any]]

    def top(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """(path, body) of the module's own files, not its examples."""
        for path, body in self.files.items():
            if "/" not in path:
                yield path, body

    def blocks(self, kind: str, *, examples: bool = False) -> Iterator[Mapping[str, Any]]:
        """Every block of one kind (resource, variable, output, locals...)."""
        files = self.files.items() if examples else self.top()
        for _, body in files:
            yield from body.get(kind, [])

    def resources(self, kind: str = "resource") -> Iterator[tuple[str, str, Mapping[str, Any]]]:
        """(type, name, body) of every resource (or data source, with kind="data")."""
        for block in self.blocks(kind):
            for rtype, named in block.items():
                for name, body in named.items():
                    yield rtype, name, body

    def resource(self, rtype: str, name: str, kind: str = "resource") -> Mapping[str, Any]:
        found = [body for t, n, body in self.resources(kind) if (t, n) == (rtype, name)]
        assert len(found) == 1, f"{kind} {rtype}.{name}: found {len(found)}"
        return found[0]

    def variables(self, *, examples: bool = False) -> dict[str, Mapping[str, Any]]:
        blocks = self.blocks("variable", examples=examples)
        return {name: body for block in blocks for name, body in block.items()}

    def outputs(self, *, examples: bool = False) -> dict[str, Mapping[str, Any]]:
        blocks = self.blocks("output", examples=examples)
        return {name: body for block in blocks for name, body in block.items()}

    @property
    def locals(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for block in self.blocks("locals"):
            assert not merged.keys() & block.keys(), "a local declared twice"
            merged.update(block)
        return merged


@cache
def module() -> Module:
    """terraform/ and its examples, parsed by python-hcl2."""
    return Module(_json_from([tool("hcl2"), _DUMP, "hcl", MODULE]))


@cache
def cloudbuild() -> dict[str, Any]:
    """cloudbuild.yaml, parsed."""
    return _json_from([tool("yaml"), _DUMP, "yaml", CLOUDBUILD])


def terraform_binary() -> str | None:
    """A terraform on PATH, if any (these machines ship 1.11)."""
    return shutil.which("terraform")


def terraform_env(tmp: Path) -> dict[str, str]:
    """terraform offline: no CLI config (the machine points at a missing one), no update check."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CLI_CONFIG_FILE"}
    env.update(CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1", TF_DATA_DIR=str(tmp / ".terraform"))
    return env


def python_for(runtime: str) -> str | None:
    """An interpreter of the runtime's version (python311 -> python3.11), if one is installed."""
    match = re.fullmatch(r"python3(\d+)", runtime)
    assert match, runtime
    version = (3, int(match.group(1)))
    if sys.version_info[:2] == version:
        return sys.executable
    return shutil.which(f"python{version[0]}.{version[1]}")
