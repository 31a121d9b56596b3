# Private functions that Cloud Scheduler calls with an OIDC token of its own account: pubsub
# delivery's drain (pubsub.tf, deploy_as = function) and the probe (var.probe, in both shapes).
# Each is the gateway's source, settings and runtime account with another entry point; none has
# allUsers as invoker and no caller key is involved: only the scheduler's account may invoke them.

variable "probe" {
  description = <<-EOT
    A scheduled probe: every `every_minutes` (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60) Cloud Scheduler calls the private function NAME-probe once per ad account (ad_account_id and ad_account_ids); it sends one test-mode event (?test=true, never recorded by Pinterest) with the deployed token and logs a row with outcome probe (reason passed, or why not). The probe is a function built from this module's source in both shapes: with deploy_as = service the source bucket is made for it, and the probe runs the checkout's code rather than `image`. null: no probe.
  EOT
  type = object({
    # 10 minutes: a refused token is known within minutes, at 144 test calls a day per account.
    every_minutes = optional(number, 10)
  })
  default = null

  validation {
    condition     = var.probe == null ? true : contains([1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60], var.probe.every_minutes)
    error_message = "probe.every_minutes must divide the hour: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60."
  }
}

variable "probe_alert" {
  description = "Alert when a probe fails (its ad account named), to these Cloud Monitoring notification channels (projects/P/notificationChannels/ID). Needs probe. null: no alert (the log-based metric is still created with the probe)."
  type = object({
    notification_channels = list(string)
  })
  default = null

  validation {
    condition     = var.probe_alert == null ? true : length(var.probe_alert.notification_channels) > 0 && alltrue([for channel in var.probe_alert.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", channel))])
    error_message = "probe_alert.notification_channels: at least one, each projects/PROJECT/notificationChannels/ID."
  }
  validation {
    condition     = var.probe_alert == null || var.probe != null
    error_message = "probe_alert needs probe: set probe = {} (or with every_minutes) too."
  }
}

locals {
  probe          = var.probe != null
  probe_accounts = local.probe ? distinct(concat([var.ad_account_id], var.ad_account_ids)) : []
  probe_schedule = local.probe ? (var.probe.every_minutes == 60 ? "0 * * * *" : "*/${var.probe.every_minutes} * * * *") : null

  # Function key → its entry point in main.py; each is deployed as NAME-KEY.
  scheduled_functions = merge(
    local.drain_count == 1 ? { drain = { entry_point = "pinterest_capi_drain", description = "Delivers the events queued in ${var.name}-events to Pinterest; called by Cloud Scheduler." } } : {},
    local.probe ? { probe = { entry_point = "pinterest_capi_probe", description = "Sends a test-mode event per ad account to Pinterest with the deployed token; called by Cloud Scheduler." } } : {},
  )
  # Job key → the function it calls, when, and the query it adds (the probe: one job per ad account).
  scheduled_jobs = merge(
    local.drain_count == 1 ? { drain = { function = "drain", schedule = var.pubsub.schedule, query = "", description = "Runs ${var.name}-drain, which delivers what waits in ${var.name}-events." } } : {},
    { for id in local.probe_accounts : "probe-${id}" => { function = "probe", schedule = local.probe_schedule, query = "?ad_account_id=${id}", description = "Probes ad account ${id} through ${var.name}-probe (test mode)." } },
  )
  scheduler_count = length(local.scheduled_functions) > 0 ? 1 : 0
  scheduler_apis  = local.scheduler_count == 1 ? ["cloudscheduler.googleapis.com"] : []
  # Spelt from the account's own fields, as main.tf spells the runtime account's.
  scheduler_email = one([for account in google_service_account.scheduler : "${account.account_id}@${join(".", reverse(split(":", account.project)))}.iam.gserviceaccount.com"])
}

# The same source and settings, another entry point, private, one instance at a time.
resource "google_cloudfunctions2_function" "scheduled" {
  for_each = local.scheduled_functions

  project     = var.project_id
  location    = var.region
  name        = "${var.name}-${each.key}"
  description = each.value.description
  labels      = var.labels

  build_config {
    runtime         = local.python_runtime
    entry_point     = each.value.entry_point
    service_account = var.build_service_account

    source {
      storage_source {
        bucket     = google_storage_bucket.source[0].name
        object     = google_storage_bucket_object.source[0].name
        generation = google_storage_bucket_object.source[0].generation
      }
    }
  }

  service_config {
    service_account_email            = local.runtime_email
    available_cpu                    = var.compute.cpu
    available_memory                 = var.compute.memory
    max_instance_request_concurrency = 1
    min_instance_count               = 0
    max_instance_count               = 1
    timeout_seconds                  = 60
    # Cloud Scheduler of the same project counts as internal traffic.
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    environment_variables          = local.env
  }

  depends_on = [
    google_pubsub_subscription_iam_member.runtime_subscriber,
    google_secret_manager_secret_iam_member.token,
    google_bigquery_table_iam_member.log_writer,
    google_project_iam_member.log_writer,
  ]
}

resource "google_service_account" "scheduler" {
  count = local.scheduler_count

  project      = var.project_id
  account_id   = "${var.name}-sched"
  display_name = "Calls the scheduled functions of ${var.name}"
  description  = "Cloud Scheduler's identity for ${join(", ", [for key in keys(local.scheduled_functions) : "${var.name}-${key}"])}: may invoke those functions, nothing else."

  depends_on = [google_project_service.main]
}

resource "google_cloud_run_v2_service_iam_member" "scheduled_invoker" {
  for_each = google_cloudfunctions2_function.scheduled

  project  = var.project_id
  location = var.region
  name     = each.value.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${local.scheduler_email}"
}

resource "google_cloud_scheduler_job" "scheduled" {
  for_each = local.scheduled_jobs

  project     = var.project_id
  region      = var.region
  name        = "${var.name}-${each.key}"
  description = each.value.description
  schedule    = each.value.schedule
  time_zone   = "Etc/UTC"
  # The function's 60 s timeout, plus the time to start it.
  attempt_deadline = "90s"

  # A missed run is not retried: the next run finds the same backlog, or probes again.
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = "${google_cloudfunctions2_function.scheduled[each.value.function].service_config[0].uri}${each.value.query}"

    # The audience is the function's URL without the query: what Cloud Run checks the token for.
    oidc_token {
      service_account_email = local.scheduler_email
      audience              = google_cloudfunctions2_function.scheduled[each.value.function].service_config[0].uri
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.scheduled_invoker]
}

# Before the probe, the drain had resources of its own; a deployment made then keeps them.
moved {
  from = google_cloudfunctions2_function.drain[0]
  to   = google_cloudfunctions2_function.scheduled["drain"]
}

moved {
  from = google_cloud_run_v2_service_iam_member.drain_invoker[0]
  to   = google_cloud_run_v2_service_iam_member.scheduled_invoker["drain"]
}

moved {
  from = google_cloud_scheduler_job.drain[0]
  to   = google_cloud_scheduler_job.scheduled["drain"]
}
