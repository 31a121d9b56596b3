locals {
  # The code this module deploys lives one folder up: main.py, requirements.txt and function/.
  source_root = "${path.module}/.."

  # Runtime and entry point of the code: Python 3.11 (pyproject's target-version), main.pinterest_capi.
  python_runtime = "python311"
  entry_point    = "pinterest_capi"

  apis = [
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    # google_project_iam_member and google_project_service read the project through it; in a
    # project where it is off, enable it first (README, Deployment: prerequisites).
    "cloudresourcemanager.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ]

  # The runtime account's email as Google forms it (a domain-scoped project "example.com:p" gives
  # ...@p.example.com...), spelt from its own fields so that the plan shows every grant's member.
  runtime_email  = "${google_service_account.runtime.account_id}@${join(".", reverse(split(":", google_service_account.runtime.project)))}.iam.gserviceaccount.com"
  runtime_member = "serviceAccount:${local.runtime_email}"

  # Every setting the function reads (function/settings.py, except local-only ones), by variable.
  # A null value is sent as an empty string, which the function reads as unset: its own default
  # applies, so this module never restates the function's defaults.
  settings = {
    PINTEREST_AD_ACCOUNT_ID         = var.ad_account_id
    PINTEREST_AD_ACCOUNT_IDS        = join(",", var.ad_account_ids)
    PINTEREST_ACCESS_TOKEN_SECRET   = local.token_secret_name
    PINTEREST_TOKEN_TTL_S           = var.pinterest.token_ttl_s
    PINTEREST_API_URL               = var.pinterest.api_url
    PINTEREST_EVENT_NAME_SETUP      = var.pinterest.event_name_setup
    PINTEREST_EVENT_NAME            = var.pinterest.event_name
    PINTEREST_ACTION_SOURCE         = var.pinterest.action_source
    PINTEREST_TEST_MODE             = var.pinterest.test_mode
    PINTEREST_CONSENT               = var.pinterest.consent
    PINTEREST_PARTNER_NAME          = var.pinterest.partner_name
    PINTEREST_DEFAULT_PHONE_COUNTRY = var.pinterest.default_phone_country
    PINTEREST_TIMEOUT_S             = var.pinterest.timeout_s
    PINTEREST_DELIVERY              = var.delivery.mode
    PINTEREST_AWAIT_DEADLINE_S      = var.delivery.await_deadline_s
    PINTEREST_BATCH_MAX             = var.delivery.batch_max
    PINTEREST_BATCH_WAIT_MS         = var.delivery.batch_wait_ms
    PINTEREST_MAX_ATTEMPTS          = var.delivery.max_attempts
    PINTEREST_QUEUE_MAX             = var.delivery.queue_max
    PINTEREST_QUEUE_MAX_BYTES       = var.delivery.queue_max_bytes
    SHUTDOWN_BUDGET_S               = var.delivery.shutdown_budget_s
    # One request thread per concurrent request: functions-framework's gthread worker count.
    THREADS                = var.compute.concurrency
    LOG_CONSOLE            = var.log_console
    LOG_BIGQUERY_TABLE     = local.log_table_id
    LOG_BIGQUERY_BATCH_MAX = var.log_table.batch_max
    LOG_BIGQUERY_FLUSH_MS  = var.log_table.flush_ms
    # BigQuery keeps the rows: no SQLite file on the instance's in-memory disk.
    LOG_SQLITE_PATH         = "none"
    GOOGLE_CLOUD_PROJECT    = var.project_id
    GATEWAY_AUTH            = var.caller_auth
    GATEWAY_API_KEYS_SECRET = one([for secret in google_secret_manager_secret.caller_keys : "projects/${secret.project}/secrets/${secret.secret_id}"])
    GATEWAY_BODY_TIMEOUT_S  = var.body_timeout_s
    # pubsub delivery (pubsub.tf): unset unless delivery.mode = "pubsub".
    PUBSUB_TOPIC                    = one(google_pubsub_topic.events[*].id)
    PUBSUB_SUBSCRIPTION             = one(google_pubsub_subscription.events[*].id)
    PUBSUB_DEAD_LETTER_SUBSCRIPTION = one(google_pubsub_subscription.dead_letter[*].id)
    PUBSUB_RETRY_WINDOW_S           = var.pubsub.retry_window_s
    PUBSUB_PUBLISH_TIMEOUT_S        = var.pubsub.publish_timeout_s
    # Must equal the subscription's dead-letter policy: the drain fails an event at its last delivery.
    PUBSUB_MAX_DELIVERY_ATTEMPTS = local.pubsub ? var.pubsub.max_delivery_attempts : null
    PUBSUB_DRAIN_BUDGET_S        = local.drain_count == 1 ? var.pubsub.drain_budget_s : null
    PUBSUB_STREAM                = local.pubsub && var.deploy_as == "service" ? true : null
  }
  env = { for name, value in local.settings : name => value == null ? "" : tostring(value) }
}

resource "google_project_service" "main" {
  for_each = toset(var.enable_apis ? concat(local.apis, local.pubsub_apis, local.scheduler_apis) : [])

  project = var.project_id
  service = each.value
  # Other workloads in the project may use these APIs too.
  disable_on_destroy = false
}

# The identity the function runs as: it can read its own secrets, write its own log table and
# write log entries, nothing else.
resource "google_service_account" "runtime" {
  project      = var.project_id
  account_id   = var.name
  display_name = "Pinterest Conversions API gateway (${var.name})"
  description  = "Runs ${var.name}: reads its token and caller-key secrets, writes its BigQuery log table."

  depends_on = [google_project_service.main]
}

# Log entries can only be granted project-wide; the role writes entries and reads nothing.
resource "google_project_iam_member" "log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = local.runtime_member

  depends_on = [google_project_service.main]
}
