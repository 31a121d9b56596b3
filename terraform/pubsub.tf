# delivery.mode = "pubsub": each accepted event waits in a Pub/Sub topic until a drain delivers it.
# deploy_as = function: a private drain function that Cloud Scheduler calls every minute (scheduled.tf).
# deploy_as = service: each instance of the service drains by streaming pull (PUBSUB_STREAM).

variable "pubsub" {
  description = <<-EOT
    Queued delivery, used with delivery.mode = "pubsub". project_number (required then): the project's number, which names the Pub/Sub service agent that dead-letters (gcloud projects describe PROJECT --format='value(projectNumber)'). retry_window_s: how long an event Pinterest could not take is retried (function default 12 h, at most 7 days). publish_timeout_s: how long a request waits for Pub/Sub before delivering awaited. max_delivery_attempts: redeliveries before the dead-letter topic takes a message (5 to 100). schedule: when the drain function runs (deploy_as = function). drain_budget_s: seconds of each drain run, under its 60 s timeout.
  EOT
  type = object({
    project_number        = optional(string)
    retry_window_s        = optional(number)
    publish_timeout_s     = optional(number)
    max_delivery_attempts = optional(number, 100)
    schedule              = optional(string, "* * * * *")
    drain_budget_s        = optional(number, 45)
  })
  default = {}

  validation {
    condition     = var.pubsub.project_number == null || can(regex("^[0-9]{6,20}$", coalesce(var.pubsub.project_number, "-")))
    error_message = "pubsub.project_number must be the project's number (digits), not its id."
  }
  validation {
    condition     = var.pubsub.retry_window_s == null || (coalesce(var.pubsub.retry_window_s, 0) > 0 && coalesce(var.pubsub.retry_window_s, 0) <= 604800)
    error_message = "pubsub.retry_window_s must be more than 0 and at most 604800 seconds (Pinterest's 7 days, the subscription's retention)."
  }
  validation {
    condition     = var.pubsub.max_delivery_attempts >= 5 && var.pubsub.max_delivery_attempts <= 100
    error_message = "pubsub.max_delivery_attempts must be between 5 and 100 (Pub/Sub's bounds)."
  }
  validation {
    condition     = var.pubsub.publish_timeout_s == null || (coalesce(var.pubsub.publish_timeout_s, 0) > 0 && coalesce(var.pubsub.publish_timeout_s, 0) <= 10)
    error_message = "pubsub.publish_timeout_s must be more than 0 and at most 10 seconds (PUBSUB_PUBLISH_TIMEOUT_S: a request waits that long before it delivers awaited)."
  }
  validation {
    condition     = can(regex("^\\S+ \\S+ \\S+ \\S+ \\S+$", var.pubsub.schedule))
    error_message = "pubsub.schedule must be a unix-cron schedule of five fields, e.g. \"* * * * *\" (every minute)."
  }
  validation {
    condition     = var.pubsub.drain_budget_s > 0 && var.pubsub.drain_budget_s <= 45
    error_message = "pubsub.drain_budget_s must be more than 0 and at most 45 seconds: the drain function times out at 60 s and then writes its log rows."
  }
}

variable "backlog_alert" {
  description = "With delivery.mode = \"pubsub\": alert when the oldest event waiting in the subscription NAME-events is older than `minutes` (5 to 10080, the 7 days it is kept), to these notification channels (projects/P/notificationChannels/ID). Ignored in other modes. null: no alert."
  type = object({
    # 30 minutes: a drain runs every minute and backs a retryable event off for at most 10.
    minutes               = optional(number, 30)
    notification_channels = list(string)
  })
  default = null

  validation {
    condition     = var.backlog_alert == null ? true : (floor(var.backlog_alert.minutes) == var.backlog_alert.minutes && var.backlog_alert.minutes >= 5 && var.backlog_alert.minutes <= 10080)
    error_message = "backlog_alert.minutes must be a whole number from 5 to 10080 (7 days)."
  }
  validation {
    condition     = var.backlog_alert == null ? true : length(var.backlog_alert.notification_channels) > 0 && alltrue([for channel in var.backlog_alert.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", channel))])
    error_message = "backlog_alert.notification_channels: at least one, each projects/PROJECT/notificationChannels/ID."
  }
}

locals {
  pubsub       = var.delivery.mode == "pubsub"
  pubsub_count = local.pubsub ? 1 : 0
  # The scheduled drain only where the CPU stops between requests; a service streams instead.
  drain_count  = local.pubsub && var.deploy_as == "function" ? 1 : 0
  pubsub_apis  = local.pubsub ? ["pubsub.googleapis.com"] : []
  pubsub_agent = "serviceAccount:service-${coalesce(var.pubsub.project_number, "0")}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_topic" "events" {
  count = local.pubsub_count

  project = var.project_id
  name    = "${var.name}-events"
  labels  = var.labels

  lifecycle {
    precondition {
      condition     = var.pubsub.project_number != null
      error_message = "delivery.mode = \"pubsub\" needs pubsub.project_number: the Pub/Sub service agent that dead-letters is named by it."
    }
    # A service has no scheduled drain: its instances stream the queue out, so one must always run.
    precondition {
      condition     = var.deploy_as != "service" || var.compute.min_instances >= 1
      error_message = "delivery.mode = \"pubsub\" with deploy_as = \"service\" needs compute.min_instances >= 1: the service's instances drain the queue, and with none running events wait until they expire."
    }
  }

  depends_on = [google_project_service.main]
}

# One message is one event; it waits until delivered, failed for good, or 7 days (Pinterest's limit).
resource "google_pubsub_subscription" "events" {
  count = local.pubsub_count

  project = var.project_id
  name    = "${var.name}-events"
  topic   = google_pubsub_topic.events[0].id
  labels  = var.labels

  # Over the 30 s a drain gives one batch: a batch is settled before anyone else gets its messages.
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  retain_acked_messages      = false

  # Never deleted for inactivity: a quiet month must not drop the queue.
  expiration_policy {
    ttl = ""
  }

  # A nacked (retryable) event comes back after 10 s, doubling up to 10 min.
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  # The backstop: a message no drain could settle in this many deliveries (a drain that crashes on
  # it, for instance) moves to the dead-letter topic, which `python -m function replay` sends again.
  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[0].id
    max_delivery_attempts = var.pubsub.max_delivery_attempts
  }
}

resource "google_pubsub_topic" "dead_letter" {
  count = local.pubsub_count

  project = var.project_id
  name    = "${var.name}-events-dead-letter"
  labels  = var.labels

  depends_on = [google_project_service.main]
}

resource "google_pubsub_subscription" "dead_letter" {
  count = local.pubsub_count

  project                    = var.project_id
  name                       = "${var.name}-events-dead-letter"
  topic                      = google_pubsub_topic.dead_letter[0].id
  labels                     = var.labels
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

# Dead-lettering is done by Pub/Sub's service agent: it publishes to the dead-letter topic and
# acks the message on the subscription it leaves.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  count = local.pubsub_count

  project = var.project_id
  topic   = google_pubsub_topic.dead_letter[0].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  count = local.pubsub_count

  project      = var.project_id
  subscription = google_pubsub_subscription.events[0].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# The runtime account publishes to the topic and consumes the subscription: nothing project-wide.
resource "google_pubsub_topic_iam_member" "runtime_publisher" {
  count = local.pubsub_count

  project = var.project_id
  topic   = google_pubsub_topic.events[0].name
  role    = "roles/pubsub.publisher"
  member  = local.runtime_member
}

resource "google_pubsub_subscription_iam_member" "runtime_subscriber" {
  count = local.pubsub_count

  project      = var.project_id
  subscription = google_pubsub_subscription.events[0].name
  role         = "roles/pubsub.subscriber"
  member       = local.runtime_member
}
