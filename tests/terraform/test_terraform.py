"""The module through HashiCorp's terraform itself, against the provider stand-in's real schemas.

terraform core checks every argument, block, type, count and reference against the schemas,
evaluates every variable validation and precondition, and plans; these tests read the plan
terraform made. Nothing here parses HCL with anything but terraform.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from function.settings import Settings, deployed_variables
from tests.terraform.deployment import ROOT, cloudbuild, module
from tests.terraform.workspace import DIGEST, REQUIRED, TFTEST, Result, Terraform

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def default_plan(terraform: Terraform) -> dict:
    """The module root planned with only its required inputs, as a new user's first plan."""
    return terraform.plan_json(terraform.ready("terraform"), *REQUIRED)


def _changes(plan: dict) -> dict[str, dict]:
    """Planned objects by address, for what is created."""
    return {rc["address"]: rc["change"]["after"] for rc in plan["resource_changes"]
            if rc["change"]["actions"] == ["create"]}


def _one(plan: dict, resource_type: str) -> dict:
    """The planned object of the one resource of a type the plan creates."""
    [found] = [rc["change"]["after"] for rc in plan["resource_changes"] if rc["type"] == resource_type
               and rc["mode"] == "managed" and rc["change"]["actions"] == ["create"]]
    return found


@pytest.mark.parametrize(("root", "args"), [
    ("terraform/examples/simple", REQUIRED),
    ("terraform/examples/service", [*REQUIRED, "-var", f"image={DIGEST}"]),
    ("terraform", None),
], ids=["examples-simple", "examples-service", "module-required-only"])
def test_each_root_validates_and_plans(terraform: Terraform, default_plan: dict, root: str,
                                       args: list[str] | None) -> None:
    path = terraform.ready(root)
    done = terraform(path, "validate", "-no-color")
    assert done.returncode == 0, done.output
    plan = default_plan if args is None else terraform.plan_json(path, *args)
    assert plan["errored"] is False
    assert plan["applyable"] is True
    created = {rc["type"] for rc in plan["resource_changes"] if rc["change"]["actions"] == ["create"]}
    assert {"google_service_account", "google_bigquery_table", "google_secret_manager_secret"} <= created
    assert ({"google_cloudfunctions2_function", "google_cloud_run_v2_service"} & created) == (
        {"google_cloud_run_v2_service"} if "service" in root else {"google_cloudfunctions2_function"})


def _substituted(text: str, deploy_as: str) -> str:
    """cloudbuild.yaml text with its default substitutions, and a build's project, account and shape."""
    values = {f"${{{k}}}": v for k, v in cloudbuild()["substitutions"].items()}
    values |= {"$PROJECT_ID": "my-proj", "${_AD_ACCOUNT_ID}": "549123456789", "${_DEPLOY_AS}": deploy_as}
    for placeholder, substitute in values.items():
        text = text.replace(placeholder, substitute)
    return text


def _cloudbuild_env(deploy_as: str) -> dict[str, str]:
    """The TF_VAR_* environment cloudbuild.yaml gives terraform."""
    env = {}
    for entry in cloudbuild()["options"]["env"]:
        name, value = _substituted(entry, deploy_as).split("=", 1)
        if name.startswith("TF_VAR_"):
            assert "$" not in value, entry
            env[name] = value
    return env


def _step_script(step_id: str) -> str:
    [step] = [step for step in cloudbuild()["steps"] if step["id"] == step_id]
    assert step["dir"] == "terraform"
    return step["args"][-1]


def test_cloudbuild_targeted_step_plans_and_writes_the_archive_it_unzips(terraform: Terraform) -> None:
    """The `prepare` step's exact targets, planned with the build's environment in the service shape."""
    script = _step_script("prepare").replace("\\\n", " ")
    [command] = [line.strip() for line in script.splitlines() if line.strip().startswith("terraform apply")]
    targets = re.findall(r"-target=\S+", command)
    assert targets == ["-target=google_artifact_registry_repository.main", "-target=data.archive_file.source"]
    root = terraform.ready("terraform")
    archive = root / ".terraform" / "tmp" / "pinterest-capi-source.zip"
    archive.unlink(missing_ok=True)
    plan = terraform.plan_json(root, *targets, env=_cloudbuild_env("service"))
    # The repository, and the APIs it depends on.
    assert {a for a in _changes(plan) if not a.startswith("google_project_service.")} == {
        "google_artifact_registry_repository.main[0]"}
    # The `source` step unzips this very file, from the repository root.
    unzip = _substituted(next(s for s in cloudbuild()["steps"] if s["id"] == "source")["args"][-1], "service")
    assert 'python -m zipfile -e "terraform/.terraform/tmp/pinterest-capi-source.zip" .build/source' in unzip
    assert archive.is_file()


@pytest.mark.parametrize("deploy_as", ["function", "service"])
def test_cloudbuild_apply_step_plans(terraform: Terraform, deploy_as: str) -> None:
    """The `apply` step: the build's environment, and the image digest in the service shape."""
    assert "terraform apply -input=false -auto-approve" in _step_script("apply")
    env = _cloudbuild_env(deploy_as) | ({"TF_VAR_image": DIGEST} if deploy_as == "service" else {})
    plan = terraform.plan_json(terraform.ready("terraform"), env=env)
    assert plan["applyable"] is True


def _function_env(plan: dict) -> dict[str, str]:
    return _one(plan, "google_cloudfunctions2_function")["service_config"][0]["environment_variables"]


def test_environment_is_exactly_what_the_function_reads(default_plan: dict) -> None:
    env = _function_env(default_plan)
    assert sorted(env) == sorted(deployed_variables())
    settings = Settings.from_env(env)  # "" is unset: the function's own default applies
    assert settings.ad_account_id == "549123456789"
    assert env["PINTEREST_ACCESS_TOKEN_SECRET"] == "projects/my-proj/secrets/pinterest-capi-token"
    assert settings.access_token_secret == "projects/my-proj/secrets/pinterest-capi-token/versions/latest"
    assert env["GATEWAY_API_KEYS_SECRET"] == "projects/my-proj/secrets/pinterest-capi-caller-keys"
    assert settings.api_keys_secret == "projects/my-proj/secrets/pinterest-capi-caller-keys/versions/latest"
    assert settings.log_bigquery_table == "my-proj.pinterest_capi.events"
    assert env["LOG_SQLITE_PATH"] == "none"
    assert settings.log_sqlite_path == ""  # no SQLite file on the instance
    assert settings.threads == 16
    assert settings.project == "my-proj"
    assert settings.auth == "keys"
    defaults = Settings(ad_account_id="549123456789")
    left_default = {f.name for f in dataclasses.fields(Settings)} - {
        "ad_account_id", "access_token_secret", "api_keys_secret", "log_bigquery_table", "log_sqlite_path",
        "threads", "project"}
    for name in left_default:
        assert getattr(settings, name) == getattr(defaults, name), name


def test_every_input_reaches_its_setting(terraform: Terraform, tmp_path: Path) -> None:
    """Each module input, set to a non-default value, arrives as the function parses it."""
    inputs = {
        "project_id": "my-proj", "ad_account_id": "549123456789", "ad_account_ids": ["549000000001"],
        "per_account_tokens": True,
        "pinterest": {"api_url": "https://api-sandbox.example.com/v5", "event_name_setup": "standard",
                      "event_name": "checkout", "action_source": "offline", "test_mode": True,
                      "consent": "required", "partner_name": "ss-acme", "default_phone_country": "DE",
                      "timeout_s": 4, "token_ttl_s": 600},
        "delivery": {"mode": "optimistic", "await_deadline_s": 3, "batch_max": 500, "batch_wait_ms": 200,
                     "max_attempts": 4, "queue_max": 5000, "queue_max_bytes": 1048576,
                     "shutdown_budget_s": 7},
        "body_timeout_s": 2,
        "log_console": "always", "log_table": {"batch_max": 100, "flush_ms": 500},
        "compute": {"concurrency": 8}, "caller_auth": "iam",
        "invoker_members": ["serviceAccount:sgtm@my-proj.iam.gserviceaccount.com"],
    }
    variables = tmp_path / "inputs.tfvars.json"
    variables.write_text(json.dumps(inputs))
    env = _function_env(terraform.plan_json(terraform.ready("terraform"), f"-var-file={variables}"))
    settings = Settings.from_env(env)
    expected = {
        "ad_account_ids": ("549000000001",),
        "access_token_secret": "projects/my-proj/secrets/pinterest-capi-token-{ad_account_id}/versions/"
                               "latest",
        "api_url": "https://api-sandbox.example.com/v5", "event_name_setup": "standard",
        "event_name": "checkout",
        "action_source": "offline", "test_mode": True, "consent": "required", "partner_name": "ss-acme",
        "default_phone_country": "DE", "timeout_s": 4.0, "token_ttl_s": 600.0, "delivery": "optimistic",
        "await_deadline_s": 3.0, "batch_max": 500, "batch_wait_ms": 200, "max_attempts": 4,
        "queue_max": 5000, "queue_max_bytes": 1048576, "shutdown_budget_s": 7.0, "body_timeout_s": 2.0,
        "log_console": "always", "log_batch_max": 100, "log_flush_ms": 500, "threads": 8,
        "auth": "iam", "api_keys_secret": "",
    }
    assert {name: getattr(settings, name) for name in expected} == expected


def test_service_shape_gets_the_same_environment(terraform: Terraform, default_plan: dict) -> None:
    function_env = _function_env(default_plan)
    root = terraform.ready("terraform")
    plan = terraform.plan_json(root, *REQUIRED, "-var", "deploy_as=service", "-var", f"image={DIGEST}")
    service = _one(plan, "google_cloud_run_v2_service")
    [container] = service["template"][0]["containers"]
    assert {entry["name"]: entry["value"] for entry in container["env"]} == function_env


def test_runtime_and_entry_point_are_what_the_code_serves(default_plan: dict) -> None:
    build = _one(default_plan, "google_cloudfunctions2_function")["build_config"][0]
    target = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["target-version"]
    assert build["runtime"] == "python" + target.removeprefix("py")
    served = [node.name for node in ast.parse((ROOT / "main.py").read_text()).body
              if isinstance(node, ast.FunctionDef)
              and any(ast.unparse(d) == "functions_framework.http" for d in node.decorator_list)]
    assert build["entry_point"] in served


def test_log_table_schema_is_the_schema_file(default_plan: dict) -> None:
    table = _changes(default_plan)["google_bigquery_table.logs"]
    assert json.loads(table["schema"]) == json.loads((ROOT / "function" / "logs" / "schema.json").read_text())


RUNTIME = "serviceAccount:pinterest-capi@my-proj.iam.gserviceaccount.com"
# Every grant of the default deployment: (resource type, role, member, what it is granted on).
GRANTS = {
    ("google_secret_manager_secret_iam_member", "roles/secretmanager.secretAccessor", RUNTIME,
     "pinterest-capi-token"),
    ("google_secret_manager_secret_iam_member", "roles/secretmanager.secretAccessor", RUNTIME,
     "pinterest-capi-caller-keys"),
    ("google_bigquery_table_iam_member", "roles/bigquery.dataEditor", RUNTIME, "pinterest_capi.events"),
    ("google_project_iam_member", "roles/logging.logWriter", RUNTIME, "my-proj"),
    ("google_cloud_run_v2_service_iam_member", "roles/run.invoker", "allUsers", "pinterest-capi"),
}


def _target(resource_type: str, after: dict) -> str:
    return {
        "google_secret_manager_secret_iam_member": lambda: after["secret_id"],
        "google_bigquery_table_iam_member": lambda: f"{after['dataset_id']}.{after['table_id']}",
        "google_project_iam_member": lambda: after["project"],
        "google_cloud_run_v2_service_iam_member": lambda: after["name"],
    }[resource_type]()


def test_every_grant_is_additive_least_privilege_and_on_its_own_resource(default_plan: dict) -> None:
    grants = set()
    for rc in default_plan["resource_changes"]:
        if re.fullmatch(r"google_\w+_iam_(member|binding|policy)", rc["type"]):
            assert rc["type"].endswith("_iam_member"), f"{rc['address']}: authoritative IAM drops grants"
            after = rc["change"]["after"]
            grants.add((rc["type"], after["role"], after["member"], _target(rc["type"], after)))
    assert grants == GRANTS


def test_every_variable_validation_has_a_refusal_test() -> None:
    text = "\n".join(path.read_text() for path in TFTEST.glob("*.tftest.hcl"))
    refused: dict[str, int] = {}
    for name in re.findall(r"expect_failures = \[var\.(\w+)\]", text):
        refused[name] = refused.get(name, 0) + 1
    for name, body in module().variables().items():
        rules = len(body.get("validation", []))
        assert refused.get(name, 0) >= rules, f"{name}: {rules} rules, {refused.get(name, 0)} refusals"


def test_terraform_test_files_pass(terraform: Terraform) -> None:
    """`terraform test` (command = plan) of tests/terraform/tftest, one process per file at once."""
    root = terraform.ready("terraform")
    shutil.copytree(TFTEST, root / "tests", dirs_exist_ok=True)
    files = sorted(path.name for path in TFTEST.glob("*.tftest.hcl"))
    assert files
    running = [subprocess.Popen([terraform.binary, f"-chdir={root}", "test", "-no-color",
                                 f"-filter=tests/{name}"], env=terraform.env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for name in files]
    for name, process in zip(files, running, strict=True):
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, f"{name}:\n{output}"
        assert re.search(r"Success! \d+ passed, 0 failed", output), output


# Each defect the stand-in must catch: (file, text replaced, replacement, what terraform says).
BREAKAGES = {
    "misspelled argument": ("main.tf", "  display_name = ", "  displayname = ", "Unsupported argument"),
    "missing required argument": ("main.tf", '  role    = "roles/logging.logWriter"\n', "",
                                  'The argument "role" is required'),
    "wrong type": ("compute.tf", "    timeout_seconds                  = var.compute.timeout_seconds",
                   '    timeout_seconds                  = ["sixty"]', "Incorrect attribute value type"),
    "nonexistent attribute": ("outputs.tf", "google_service_account.runtime.email",
                              "google_service_account.runtime.mail", "Unsupported attribute"),
    "too many blocks": ("compute.tf", "  build_config {", "  build_config {}\n  build_config {",
                        "Too many build_config blocks"),
}


@pytest.mark.parametrize("defect", list(BREAKAGES))
def test_the_stand_in_makes_terraform_catch(terraform: Terraform, tmp_path: Path, defect: str) -> None:
    name, old, new, message = BREAKAGES[defect]
    copy = terraform.copy(tmp_path / "repo")
    path = copy / "terraform" / name
    text = path.read_text()
    assert text.count(old) == 1, f"{name} no longer holds {old!r}: update the breakage"
    path.write_text(text.replace(old, new))
    root = copy / "terraform"
    assert terraform.init(root).returncode == 0
    done: Result = terraform(root, "validate", "-no-color")
    assert done.returncode != 0
    assert message in done.output, done.output
