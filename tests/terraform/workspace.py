"""terraform itself, offline: a filesystem mirror of the provider stand-in and a copy of the module.

`terraform init` installs the stand-in from a mirror named by a temporary CLI config
(TF_CLI_CONFIG_FILE), so the lock file and `.terraform/` land in a temporary copy of the
repository's deployed files, never in the repository. The copy holds what the module reads
(terraform/, main.py, requirements.txt, function/), by the same relative paths.

terraform starts each provider about three times per command; for google and time, which read no
file, one long-lived stand-in each serves every command instead (TF_REATTACH_PROVIDERS, the
mechanism terraform offers for debugging providers). archive stays started by terraform: it writes
its zip relative to the working directory terraform gives the provider process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.processes import missing
from tests.terraform.deployment import ROOT, terraform_binary

SCHEMAS = ROOT.parent / "shared" / "terraform" / "provider-schemas.json"
TFTEST = ROOT / "tests" / "terraform" / "tftest"  # the `terraform test` files, run as terraform/tests/
STANDIN_PYTHON = ROOT / ".venv-standin" / "bin" / "python"
# The versions the schema file was taken from (see its SOURCE.txt).
PROVIDERS = {
    "registry.terraform.io/hashicorp/google": "6.50.0",
    "registry.terraform.io/hashicorp/archive": "2.8.0",
    "registry.terraform.io/hashicorp/time": "0.14.0",
}
# A new user's inputs: the two required variables; and an image digest for the service shape.
REQUIRED = ["-var", "project_id=my-proj", "-var", "ad_account_id=549123456789"]
DIGEST = "us-central1-docker.pkg.dev/my-proj/pinterest-capi/gateway@sha256:" + "0123456789abcdef" * 4
_COPIED = ("terraform", "main.py", "requirements.txt", "function")
_IGNORED = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "__pycache__", "*.pyc")
# Served by one long-lived process each (see the module's docstring).
_REATTACHED = ("registry.terraform.io/hashicorp/google", "registry.terraform.io/hashicorp/time")
# A plan spawns a provider process per provider; no single command should take this long.
_TIMEOUT_S = 300
_STOP_S = 60  # a killed stand-in is waited for at most this long


def _stand_in(address: str, *flags: str) -> list[str]:
    return [str(STANDIN_PYTHON), "-m", "tests.terraform.standin", address, str(SCHEMAS), *flags]


def _platform(binary: str) -> str:
    done = subprocess.run([binary, "version", "-json"], capture_output=True, text=True, check=True,
                          env={**os.environ, "CHECKPOINT_DISABLE": "1"})
    return json.loads(done.stdout)["platform"]


def _mirror(base: Path, platform: str) -> Path:
    """An unpacked filesystem mirror: each provider's executable starts the stand-in for it."""
    mirror = base / "mirror"
    for address, version in PROVIDERS.items():
        kind = address.rsplit("/", 1)[1]
        folder = mirror / address / version / platform
        folder.mkdir(parents=True)
        executable = folder / f"terraform-provider-{kind}_v{version}"
        command = " ".join(json.dumps(part) for part in _stand_in(address))
        executable.write_text(f"#!/bin/sh\nPYTHONPATH={json.dumps(str(ROOT))} exec {command}\n")
        executable.chmod(0o755)
    return mirror


class Servers:
    """One stand-in process per reattached provider, and the TF_REATTACH_PROVIDERS value naming them."""

    def __init__(self, home: Path) -> None:
        self._processes: list[subprocess.Popen[str]] = []
        self.reattach: dict[str, object] = {}
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "HOME": str(home)}
        try:
            for address in _REATTACHED:
                # stdout carries only the announcement; stderr (a servicer's traceback) goes to the
                # test run's, where it is seen and never fills an unread pipe.
                process = subprocess.Popen(_stand_in(address, "--dev"), env=env, text=True,
                                           stdout=subprocess.PIPE)
                self._processes.append(process)
                self.reattach.update(_announced(address, process.stdout))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for process in self._processes:
            process.kill()
            process.wait(timeout=_STOP_S)
            if process.stdout:
                process.stdout.close()


def _announced(address: str, stdout: IO[str] | None) -> dict[str, object]:
    """The reattach entry a --dev stand-in prints (`export TF_REATTACH_PROVIDERS='{...}'`)."""
    assert stdout is not None
    seen = []
    for line in stdout:  # ends when the process does: a stand-in that fails to start is reported
        seen.append(line)
        if "TF_REATTACH_PROVIDERS=" in line:
            entry: dict[str, object] = json.loads(line.split("=", 1)[1].strip().strip("'"))
            assert set(entry) == {address}, line
            return entry
    raise AssertionError(f"the stand-in for {address} did not start:\n{''.join(seen)}")


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Terraform:
    """HashiCorp's terraform with the stand-in installed, run in a temporary copy of the repository."""

    def __init__(self, base: Path) -> None:
        binary = terraform_binary()
        if binary is None:
            missing("no terraform binary on PATH: these machines ship terraform 1.11")
        if not STANDIN_PYTHON.exists():
            missing(f"{STANDIN_PYTHON.relative_to(ROOT)} is missing: `make test` installs it")
        if not SCHEMAS.exists():
            missing(f"{SCHEMAS} is missing: ../shared lies beside the checkout")
        assert binary is not None
        self.binary = binary
        self.base = base
        self.repo = base / "repo"
        config = base / "terraformrc"
        config.write_text(
            "disable_checkpoint = true\n"
            "provider_installation {\n"
            f"  filesystem_mirror {{\n    path    = {json.dumps(str(_mirror(base, _platform(binary))))}\n"
            '    include = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n'
        )
        self._initialised: set[Path] = set()
        self.servers = Servers(base)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TF_")},
            "TF_CLI_CONFIG_FILE": str(config),
            "TF_REATTACH_PROVIDERS": json.dumps(self.servers.reattach),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "HOME": str(base),  # the stand-in's TLS certificate cache, and nothing of the user's
        }
        self.copy()

    def close(self) -> None:
        """Stop the long-lived stand-ins."""
        self.servers.close()

    def copy(self, repo: Path | None = None) -> Path:
        """The deployed files, by the same relative paths, in `repo` (the default copy)."""
        target = repo or self.repo
        for name in _COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=_IGNORED)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
        return target

    def __call__(self, root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
        """`terraform -chdir=root ARGS`, with `env` added to the environment."""
        done = subprocess.run([self.binary, f"-chdir={root}", *args], capture_output=True, text=True,
                              check=False, env={**self.env, **(env or {})}, timeout=_TIMEOUT_S)
        return Result(done.returncode, done.stdout, done.stderr)

    def init(self, root: Path) -> Result:
        return self(root, "init", "-input=false", "-no-color", "-backend=false")

    def ready(self, relative: str) -> Path:
        """The root at `relative` (from the repository) in the default copy, initialised once."""
        root = self.repo / relative
        if root not in self._initialised:
            done = self.init(root)
            assert done.returncode == 0, done.output
            self._initialised.add(root)
        return root

    def plan_json(self, root: Path, *args: str, env: dict[str, str] | None = None) -> dict:
        """`terraform plan -out`, then `terraform show -json`: the planned values as terraform has them."""
        plan = self(root, "plan", "-input=false", "-no-color", "-out=tfplan", *args, env=env)
        assert plan.returncode == 0, plan.output
        shown = self(root, "show", "-json", "-no-color", "tfplan", env=env)
        assert shown.returncode == 0, shown.output
        return json.loads(shown.stdout)
