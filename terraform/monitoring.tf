# Every event that ends failed or dropped is logged once, as a structured line with its outcome
# (function/logs/journal.py): count those lines, and alert on them when asked to.
resource "google_logging_metric" "failed_events" {
  project = var.project_id
  name    = "${var.name}-failed-events"
  filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${var.name}\"",
    "jsonPayload.outcome=(\"failed\" OR \"dropped\")",
  ])
  description = "Events of ${var.name} that Pinterest did not accept for good (failed) or that were given up (dropped)."

  label_extractors = {
    outcome = "EXTRACT(jsonPayload.outcome)"
  }

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.name} failed events"

    labels {
      key         = "outcome"
      value_type  = "STRING"
      description = "failed or dropped"
    }
  }

  depends_on = [google_project_service.main]
}

# Cloud Monitoring knows a new log-based metric only a while after it is created: an alert policy
# created at once fails with 404 "Cannot find metric(s) that match type" (an open provider issue).
# 90 s was enough in the reports; if a first apply still fails so, apply again.
resource "time_sleep" "metric_known" {
  count = var.failure_alert == null ? 0 : 1

  create_duration = "90s"
  triggers = {
    metric = google_logging_metric.failed_events.id
  }
}

resource "google_monitoring_alert_policy" "failed_events" {
  count = var.failure_alert == null ? 0 : 1

  project               = var.project_id
  display_name          = "${var.name}: Pinterest events failing"
  combiner              = "OR"
  notification_channels = var.failure_alert.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "More than ${var.failure_alert.threshold} failed or dropped events in 5 minutes"

    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.failed_events.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.failure_alert.threshold
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Events sent by ${var.name} end failed or dropped. Each one is logged with its event_id and hashed payload; see the gateway's README (logs and replay) to find and re-send them."
  }
  depends_on = [time_sleep.metric_known]
}
