"""The deployed artefact: the archive terraform builds, and that it serves on its own requirements.

The archive is the one `terraform plan` of examples/simple writes through the stand-in's
`archive_file`, so these tests see exactly the files a deployment uploads.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
import requests

from function.sandbox.server import start_sandbox
from tests.processes import control, free_port, wait_for_port
from tests.terraform.deployment import ROOT, python_for, run
from tests.terraform.workspace import REQUIRED, Terraform

TOKEN = "artifact-canary-token-3e9a"  # planted: the sandbox accepts only it
ACCOUNT = "549123456789"


@pytest.fixture(scope="module")
def planned(terraform: Terraform) -> tuple[Path, str]:
    """The source zip `terraform plan` builds for examples/simple, and the runtime it is built for."""
    root = terraform.ready("terraform/examples/simple")
    plan = terraform.plan_json(root, *REQUIRED)
    after = {rc["type"]: rc["change"]["after"] for rc in plan["resource_changes"]}
    built = root / after["google_storage_bucket_object"]["source"]
    assert built.is_file()
    return built, after["google_cloudfunctions2_function"]["build_config"][0]["runtime"]


@pytest.fixture(scope="module")
def archive(planned: tuple[Path, str]) -> Path:
    return planned[0]


def _names(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as zipped:
        return zipped.namelist()


@pytest.mark.slow
def test_archive_holds_exactly_the_runtime_files(archive: Path) -> None:
    names = _names(archive)
    assert names == sorted(names)
    assert {"main.py", "requirements.txt", "function/__init__.py", "function/settings.py",
            "function/logs/schema.json"} <= set(names)
    on_disk = {p.relative_to(ROOT).as_posix() for p in (ROOT / "function").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
               and "sandbox" not in p.relative_to(ROOT / "function").parts}
    assert set(names) == on_disk | {"main.py", "requirements.txt"}


@pytest.mark.slow
def test_runtime_code_never_imports_what_is_left_out(archive: Path) -> None:
    with zipfile.ZipFile(archive) as zipped:
        for name in zipped.namelist():
            if not name.endswith(".py"):
                continue
            for node in ast.walk(ast.parse(zipped.read(name))):
                if isinstance(node, ast.ImportFrom):
                    imported = [node.module or ""]
                elif isinstance(node, ast.Import):
                    imported = [alias.name for alias in node.names]
                else:
                    continue
                for target in imported:
                    assert not target.startswith(("function.sandbox", "tests", "tools")), f"{name}: {target}"


@pytest.mark.slow
def test_archive_serves_from_a_clean_venv_with_only_its_requirements(planned: tuple[Path, str],
                                                                     tmp_path: Path) -> None:
    """As Google's buildpack runs it: unzipped, `pip install -r requirements.txt`, then the server."""
    archive, runtime = planned
    python = python_for(runtime)
    if python is None:
        pytest.skip(f"no interpreter for {runtime} on this machine")
    source = tmp_path / "source"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(source)
    venv = tmp_path / "venv"
    done = run([python, "-m", "venv", venv])
    assert done.returncode == 0, done.stderr
    # pip may use its local cache and wheel directories; nothing else of this machine's Python is seen.
    done = run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "-r", source / "requirements.txt"])
    assert done.returncode == 0, done.stdout + done.stderr
    port = free_port()
    with start_sandbox(port=0, token=TOKEN) as sandbox:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
               "PINTEREST_AD_ACCOUNT_ID": ACCOUNT, "PINTEREST_ACCESS_TOKEN": TOKEN,
               "PINTEREST_API_URL": sandbox.url, "GATEWAY_AUTH": "none", "LOG_SQLITE_PATH": "none",
               "LOG_CONSOLE": "no"}
        log = (tmp_path / "server.log").open("wb")
        server = subprocess.Popen([venv / "bin" / "functions-framework", "--target", "pinterest_capi",
                                   "--host", "127.0.0.1", "--port", str(port)],
                                  cwd=source, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, server)
            body = json.loads((ROOT / "examples" / "purchase.json").read_text())
            answer = requests.post(f"http://127.0.0.1:{port}/", json=body, timeout=30)
            events = requests.get(control(sandbox, "events"), timeout=5).json()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            log.close()
    assert answer.status_code == 200, answer.text + (tmp_path / "server.log").read_text()
    [sent] = events["events"]
    assert sent["ad_account_id"] == ACCOUNT
    assert sent["event"]["event_name"] == "checkout"
    assert sent["event"]["event_id"] == "A-1001"
    [email] = sent["event"]["user_data"]["em"]
    assert email == hashlib.sha256(b"jane.doe@example.com").hexdigest()


def _third_party_imports(archive: Path) -> set[str]:
    """Modules the archive's code imports that are neither ours nor the standard library."""
    found: set[str] = set()
    with zipfile.ZipFile(archive) as zipped:
        for name in (n for n in zipped.namelist() if n.endswith(".py")):
            for node in ast.walk(ast.parse(zipped.read(name))):
                if isinstance(node, ast.Import):
                    found |= {alias.name for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module)
    ours = {"function", "main"}
    return {m for m in found if m.split(".")[0] not in sys.stdlib_module_names | ours}


def _distributions(module: str) -> set[str]:
    """The installed distributions that ship `module` (for google.*, the one with its subpackage)."""
    parts = module.split(".")
    owners = metadata.packages_distributions().get(parts[0], [])
    if parts[0] == "google" and len(parts) > 1:
        prefix = "/".join(parts[:2])
        owners = [d for d in owners if any(str(f).startswith(prefix + "/") for f in metadata.files(d) or [])]
    return {d.lower().replace("_", "-") for d in owners}


@pytest.mark.slow
def test_every_library_the_code_imports_is_pinned(archive: Path) -> None:
    """A library imported only as another's dependency could change version under us: pin it."""
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==\S+", line) for line in lines), lines
    pinned = {line.split("==")[0].lower().replace("_", "-") for line in lines}
    for module in sorted(_third_party_imports(archive)):
        owners = _distributions(module)
        assert owners & pinned, f"{module} (from {sorted(owners)}) is not pinned in requirements.txt"
