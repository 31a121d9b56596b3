"""The terraform module, read with python-hcl2: what it deploys must match what the code needs."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import tomllib

from function.settings import Settings, deployed_variables
from tests.terraform import docs
from tests.terraform.deployment import MODULE, ROOT, module, unwrap


def _function() -> dict:
    return dict(module().resource("google_cloudfunctions2_function", "main"))


def _service() -> dict:
    return dict(module().resource("google_cloud_run_v2_service", "main"))


def _tf_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(MODULE.rglob("*.tf")))


def test_runtime_matches_the_python_the_code_targets() -> None:
    target = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["target-version"]
    expected = "python" + target.removeprefix("py")
    assert module().locals["python_runtime"] == expected
    assert _function()["build_config"][0]["runtime"] == "${local.python_runtime}"


def test_entry_point_is_the_function_main_py_serves() -> None:
    entry_point = module().locals["entry_point"]
    tree = ast.parse((ROOT / "main.py").read_text())
    served = [
        node.name for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(ast.unparse(d) == "functions_framework.http" for d in node.decorator_list)
    ]
    assert served == [entry_point]
    assert _function()["build_config"][0]["entry_point"] == "${local.entry_point}"


def test_both_shapes_hang_off_deploy_as_and_share_the_rest() -> None:
    assert _function()["count"] == '${var.deploy_as == "function" ? 1 : 0}'
    assert _service()["count"] == '${var.deploy_as == "service" ? 1 : 0}'
    variable = module().variables()["deploy_as"]
    assert variable["default"] == "function"
    assert "best-effort" in variable["description"]
    function_config = _function()["service_config"][0]
    template = _service()["template"][0]
    assert function_config["service_account_email"] == template["service_account"]
    assert function_config["max_instance_request_concurrency"] == template["max_instance_request_concurrency"]
    assert function_config["max_instance_request_concurrency"] == "${var.compute.concurrency}"


def test_service_keeps_a_whole_cpu_between_requests() -> None:
    container = _service()["template"][0]["containers"][0]
    resources = container["resources"][0]
    assert resources["cpu_idle"] is False
    assert resources["limits"]["cpu"] == "${var.compute.cpu}"
    compute = module().variables()["compute"]
    default_cpu = re.search(r'cpu = optional\(string, "(\d+)"\)', compute["type"])
    assert default_cpu
    assert int(default_cpu.group(1)) >= 1
    conditions = [v["condition"] for v in compute["validation"]]
    whole = [c for c in conditions if "var.compute.cpu" in c]
    assert whole == ['${contains(["1", "2", "4", "8"], var.compute.cpu)}']


def test_service_runs_an_image_by_digest() -> None:
    container = _service()["template"][0]["containers"][0]
    assert container["image"] == "${var.image}"
    image = module().variables()["image"]
    assert any("@sha256:[0-9a-f]{64}$" in v["condition"] for v in image["validation"])
    preconditions = _service()["lifecycle"][0]["precondition"]
    assert [p["condition"] for p in preconditions] == ["${var.image != null}"]


def test_threads_follow_the_request_concurrency() -> None:
    assert module().locals["settings"]["THREADS"] == "${var.compute.concurrency}"


def test_every_deployed_setting_is_set_in_both_shapes() -> None:
    found = module().locals
    settings = found["settings"]
    missing = set(deployed_variables()) - settings.keys()
    assert not missing, f"settings the function reads but terraform does not set: {sorted(missing)}"
    assert unwrap(found["env"]) == (
        '{for name, value in local.settings : name => value == null ? "" : tostring(value)}'
    )
    assert _function()["service_config"][0]["environment_variables"] == "${local.env}"
    [env] = [d["env"] for d in _service()["template"][0]["containers"][0]["dynamic"] if "env" in d]
    assert env["for_each"] == "${local.env}"
    assert env["content"] == [{"name": "${env.key}", "value": "${env.value}"}]


def test_no_local_only_or_secret_setting_is_deployed() -> None:
    local_only = {f.metadata["env"] for f in dataclasses.fields(Settings) if f.metadata["local"]}
    secret = {f.metadata["env"] for f in dataclasses.fields(Settings) if f.metadata["secret"]}
    settings = module().locals["settings"]
    assert not (local_only | secret) & settings.keys()


def test_secret_settings_name_secrets_not_values() -> None:
    found = module().locals
    assert found["settings"]["PINTEREST_ACCESS_TOKEN_SECRET"] == "${local.token_secret_name}"
    keys_secret = "${one(google_secret_manager_secret.caller_keys[*].id)}"
    assert found["settings"]["GATEWAY_API_KEYS_SECRET"] == keys_secret
    name = found["token_secret_name"]
    assert "projects/${var.project_id}/secrets/${var.name}-token-{ad_account_id}" in name
    assert 'google_secret_manager_secret.token["default"].id' in name


def test_no_secret_value_anywhere() -> None:
    text = _tf_text() + (ROOT / "cloudbuild.yaml").read_text()
    assert "google_secret_manager_secret_version" not in text
    assert "secret_data" not in text
    assert not re.search(r"pina_[A-Za-z0-9]", text), "a Pinterest token in the deployment files"
    assert "PRIVATE KEY" not in text
    for name, body in module().variables(examples=True).items():
        if re.search(r"token|key|password|secret|credential", name):
            assert body["type"] in ("bool", "${list(string)}") or name.endswith("_ids"), (
                f"variable {name} could carry a secret value: secrets are added out of band"
            )
        assert body.get("sensitive") is not True, f"variable {name} is sensitive: secrets stay out of it"
    for name, body in module().outputs(examples=True).items():
        assert body.get("sensitive") is not True, name
        assert "local.env" not in json.dumps(body), name
        assert "local.settings" not in json.dumps(body), name


IAM_TYPES = re.compile(r"^google_.*_iam_(member|binding|policy)$")
# The only roles the module grants, each on the narrowest resource that takes it.
ALLOWED_GRANTS = {
    ("google_secret_manager_secret_iam_member", "roles/secretmanager.secretAccessor"),
    ("google_bigquery_dataset_iam_member", "roles/bigquery.dataEditor"),
    ("google_project_iam_member", "roles/logging.logWriter"),
    ("google_cloud_run_v2_service_iam_member", "roles/run.invoker"),
    ("google_cloudfunctions2_function_iam_member", "roles/cloudfunctions.invoker"),
}


def test_iam_is_additive_and_least_privilege() -> None:
    grants = [(rtype, name, body) for rtype, name, body in module().resources() if IAM_TYPES.match(rtype)]
    assert grants
    for rtype, name, body in grants:
        assert rtype.endswith("_iam_member"), f"{rtype}.{name}: authoritative IAM would drop others' grants"
        assert (rtype, body["role"]) in ALLOWED_GRANTS, f"{rtype}.{name} grants {body['role']}"
    project_roles = {body["role"] for rtype, _, body in grants if rtype.startswith("google_project_")}
    assert project_roles == {"roles/logging.logWriter"}, "no project-wide data role"
    text = _tf_text()
    for role in ("roles/owner", "roles/editor", "roles/viewer"):
        assert role not in text


def test_data_roles_are_scoped_to_the_module_own_secrets_and_dataset() -> None:
    for rtype, name, body in module().resources():
        if rtype == "google_secret_manager_secret_iam_member":
            assert re.fullmatch(
                r"\$\{(each\.value|google_secret_manager_secret\.caller_keys\[count\.index\])\.secret_id\}",
                body["secret_id"],
            ), name
            if body["secret_id"].startswith("${each"):
                assert body["for_each"] == "${google_secret_manager_secret.token}"
        if rtype == "google_bigquery_dataset_iam_member":
            assert body["dataset_id"] == "${google_bigquery_dataset.logs.dataset_id}"
        if rtype in ("google_secret_manager_secret_iam_member", "google_bigquery_dataset_iam_member",
                     "google_project_iam_member"):
            assert body["member"] == "${local.runtime_member}"
    assert module().locals["runtime_member"] == "serviceAccount:${google_service_account.runtime.email}"


def test_invokers_follow_the_auth_design() -> None:
    found = module()
    invokers = 'var.caller_auth == "keys" ? ["allUsers"] : var.invoker_members'
    assert unwrap(found.locals["invokers"]) == invokers
    run_invoker = found.resource("google_cloud_run_v2_service_iam_member", "invoker")
    assert run_invoker["for_each"] == "${toset(local.invokers)}"
    assert run_invoker["name"] == "${local.run_service_name}"
    function_invoker = found.resource("google_cloudfunctions2_function_iam_member", "invoker")
    assert "local.invokers" in function_invoker["for_each"]
    assert found.locals["settings"]["GATEWAY_AUTH"] == "${var.caller_auth}"


def _choices(variable: str) -> dict[str, list[str]]:
    """The allowed values each `contains([...], ...)` validation of a variable names, by attribute."""
    found: dict[str, list[str]] = {}
    for validation in module().variables()[variable].get("validation", []):
        match = re.search(r"contains\(\[([^\]]*)\], (?:coalesce\()?(var\.[\w.]+)", validation["condition"])
        if match:
            found[match.group(2)] = re.findall(r'"([^"]*)"', match.group(1))
    return found


def test_validated_choices_are_values_the_function_accepts() -> None:
    """Every value a variable's validation allows reaches the function as a setting it parses."""
    settings = module().locals["settings"]
    checked = 0
    for variable in module().variables():
        for path, values in _choices(variable).items():
            envs = [env for env, expression in settings.items() if expression == "${" + path + "}"]
            for env in envs:
                for value in values:
                    # "lead" is a valid event name for every event-name setup.
                    base = {"PINTEREST_AD_ACCOUNT_ID": "549123456789", "PINTEREST_EVENT_NAME": "lead"}
                    Settings.from_env({**base, env: value})
                    checked += 1
    assert checked >= 10


def test_log_table_schema_comes_from_the_schema_file() -> None:
    found = module()
    schema_file = 'jsondecode(file("${local.source_root}/function/log_schema.json"))'
    assert unwrap(found.locals["log_schema"]) == schema_file
    assert found.locals["source_root"] == "${path.module}/.."
    table = found.resource("google_bigquery_table", "logs")
    assert table["schema"] == "${jsonencode(local.log_schema)}"
    assert table["dataset_id"] == "${google_bigquery_dataset.logs.dataset_id}"
    partitioning = table["time_partitioning"][0]
    assert partitioning["type"] == "DAY"
    assert partitioning["field"] == "${local.log_partition}"
    assert partitioning["expiration_ms"] == "${local.log_expiration_ms}"
    assert "var.log_table.partition_expiration_days" in found.locals["log_expiration_ms"]
    assert table["clustering"] == "${local.log_clustering}"
    schema = json.loads((ROOT / "function" / "log_schema.json").read_text())
    columns = {column["name"]: column["type"] for column in schema}
    assert columns[found.locals["log_partition"]] == "TIMESTAMP"
    assert found.locals["log_clustering"] == ["outcome", "event_name"]
    assert set(found.locals["log_clustering"]) <= columns.keys()


def test_log_table_setting_names_the_table_terraform_creates() -> None:
    found = module().locals
    assert found["settings"]["LOG_BIGQUERY_TABLE"] == "${local.log_table_id}"
    assert found["log_table_id"] == (
        "${var.project_id}.${google_bigquery_dataset.logs.dataset_id}.${google_bigquery_table.logs.table_id}"
    )


def test_every_variable_has_a_type_and_a_description() -> None:
    for name, body in module().variables(examples=True).items():
        assert body.get("type"), f"variable {name} has no type"
        assert body.get("description", "").strip(), f"variable {name} has no description"
        for validation in body.get("validation", []):
            assert validation.get("error_message", "").strip(), f"variable {name}: validation without message"
    for name, body in module().outputs(examples=True).items():
        assert body.get("description", "").strip(), f"output {name} has no description"


def test_required_variables_are_only_project_and_ad_account() -> None:
    required = {name for name, body in module().variables().items() if "default" not in body}
    assert required == {"project_id", "ad_account_id"}


def test_versions_are_pinned_by_range() -> None:
    [terraform] = module().files["versions.tf"]["terraform"]
    assert terraform["required_version"] == ">= 1.5"
    [providers] = terraform["required_providers"]
    assert providers["google"]["source"] == "hashicorp/google"
    assert re.fullmatch(r">= [5-9]\.\d+, < \d+\.0", providers["google"]["version"])
    assert re.fullmatch(r">= \d+\.\d+, < \d+\.0", providers["archive"]["version"])


def test_examples_call_the_module_from_two_folders_up() -> None:
    for path, body in module().files.items():
        if path.startswith("examples/"):
            for block in body.get("module", []):
                for name, call in block.items():
                    assert call["source"] == "../..", f"{path}: module {name}"


def test_readme_tables_match_the_module() -> None:
    assert docs.current() == docs.render(module()), "run: .venv/bin/python -m tests.terraform.docs"


def test_fixed_settings_are_values_the_function_accepts() -> None:
    fixed = {env: value for env, value in module().locals["settings"].items() if "${" not in str(value)}
    assert fixed == {"LOG_SQLITE_PATH": "none"}
    Settings.from_env({"PINTEREST_AD_ACCOUNT_ID": "549123456789", **fixed})


def test_names_terraform_builds_are_names_the_function_parses() -> None:
    """Secret and table names as the module renders them (defaults, project my-proj) parse as settings."""
    found = module().locals
    values = {
        "${var.project_id}": "my-proj",
        "${var.name}": module().variables()["name"]["default"],
        "${google_bigquery_dataset.logs.dataset_id}": "pinterest_capi",
        "${google_bigquery_table.logs.table_id}": "events",
    }

    def render(template: str) -> str:
        for expression, value in values.items():
            template = template.replace(expression, value)
        assert "${" not in template, template
        return template

    per_account = re.search(r'"(projects/[^"]*\{ad_account_id\})"', found["token_secret_name"])
    assert per_account
    # google_secret_manager_secret's id is projects/{{project}}/secrets/{{secret_id}}.
    one_token = render("projects/${var.project_id}/secrets/${var.name}-token")
    keys = render("projects/${var.project_id}/secrets/${var.name}-caller-keys")
    assert found["token_secret_ids"].endswith('{default = "${var.name}-token"}}')
    caller_keys = module().resource("google_secret_manager_secret", "caller_keys")
    assert caller_keys["secret_id"] == "${var.name}-caller-keys"
    for token in (render(per_account.group(1)), one_token):
        Settings.from_env({
            "PINTEREST_AD_ACCOUNT_ID": "549123456789",
            "PINTEREST_ACCESS_TOKEN_SECRET": token,
            "GATEWAY_API_KEYS_SECRET": keys,
            "LOG_BIGQUERY_TABLE": render(found["log_table_id"]),
        })
