locals {
  any_alert = anytrue([for alert in [var.failure_alert, var.traffic_alert, var.pinterest_auth_alert, var.error_ratio_alert, var.probe_alert] : alert != null])
  # Where every alert's documentation sends the operator first: the log rows, and the README's queries.
  look_first = "Look first: `python -m function logs --since 1h` (add `--outcome failed` for failures) with the deployment's LOG_BIGQUERY_TABLE set, or the README's query \"Failures in the last 24 hours by reason\" in the BigQuery console on `${local.log_table_id}`. The README's section \"Operating it\" says what each finding means and how to fix it in the sGTM container."
  # The services whose lines tell events' outcomes: the gateway, and pubsub's drain function (which
  # delivers every queued event). Not NAME-probe: a probe's lines are its metric's alone.
  service_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=(\"${var.name}\" OR \"${var.name}-drain\")",
  ])
}

# Every event that ends failed or dropped is logged once, as a structured line with its outcome
# (function/logs/journal.py): count those lines, and alert on them when asked to.
resource "google_logging_metric" "failed_events" {
  project     = var.project_id
  name        = "${var.name}-failed-events"
  filter      = "${local.service_filter} AND jsonPayload.outcome=(\"failed\" OR \"dropped\")"
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
  count = local.any_alert ? 1 : 0

  create_duration = "90s"
  triggers = {
    metric            = google_logging_metric.failed_events.id
    delivery_outcomes = google_logging_metric.delivery_outcomes.id
    token_rejections  = google_logging_metric.token_rejections.id
    probe_failures    = join("", google_logging_metric.probe_failures[*].id)
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
    content   = "Events sent by ${var.name} end failed or dropped. Each one is logged with its event_id and hashed payload; see the gateway's README (logs and replay) to find and re-send them. ${local.look_first}"
  }
  depends_on = [time_sleep.metric_known]
}

# Every delivered and every failed event is one console line with its outcome and ad account, whatever
# LOG_CONSOLE says (function/logs/journal.py): the traffic and error-ratio alerts count them per account.
resource "google_logging_metric" "delivery_outcomes" {
  project     = var.project_id
  name        = "${var.name}-delivery-outcomes"
  filter      = "${local.service_filter} AND jsonPayload.outcome=(\"delivered\" OR \"failed\")"
  description = "Events of ${var.name} delivered to Pinterest or failed for good, by ad account."

  label_extractors = {
    outcome       = "EXTRACT(jsonPayload.outcome)"
    ad_account_id = "EXTRACT(jsonPayload.ad_account_id)"
  }

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.name} delivery outcomes"

    labels {
      key         = "outcome"
      value_type  = "STRING"
      description = "delivered or failed"
    }
    labels {
      key         = "ad_account_id"
      value_type  = "STRING"
      description = "Pinterest ad account"
    }
  }

  depends_on = [google_project_service.main]
}

# A 401 that a fresh token does not cure, or a 403, is one ERROR line of its own
# (function/delivery/deliverer.py, TOKEN_REJECTED).
resource "google_logging_metric" "token_rejections" {
  project     = var.project_id
  name        = "${var.name}-token-rejections"
  filter      = "${local.service_filter} AND jsonPayload.message=\"pinterest token rejected\""
  description = "Pinterest calls of ${var.name} answered 401 (after a token refresh) or 403, by ad account."

  label_extractors = {
    ad_account_id = "EXTRACT(jsonPayload.ad_account_id)"
    status_code   = "EXTRACT(jsonPayload.response_status_code)"
  }

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.name} token rejections"

    labels {
      key         = "ad_account_id"
      value_type  = "STRING"
      description = "Pinterest ad account"
    }
    labels {
      key         = "status_code"
      value_type  = "STRING"
      description = "401 or 403"
    }
  }

  depends_on = [google_project_service.main]
}

resource "google_monitoring_alert_policy" "traffic_stopped" {
  count = var.traffic_alert == null ? 0 : 1

  project               = var.project_id
  display_name          = "${var.name}: no event delivered to Pinterest"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.traffic_alert.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "No delivered event of an ad account for ${var.traffic_alert.minutes} minutes"

    # Absence per ad account: a series that had points and has none for the duration.
    condition_absent {
      filter   = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.delivery_outcomes.name}\" AND metric.label.outcome=\"delivered\""
      duration = "${var.traffic_alert.minutes * 60}s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.ad_account_id"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "${var.name}: no event delivered for ${var.traffic_alert.minutes} minutes"
    content   = "No event of an ad account reached Pinterest for ${var.traffic_alert.minutes} minutes. If `logs` shows no row at all, sGTM stopped sending (a paused or renamed trigger, an unpublished container, a changed caller key answered 401); rows that are `skipped` or `invalid` name their reason; `failed` ones name Pinterest's. ${local.look_first}"
  }
  depends_on = [time_sleep.metric_known]
}

resource "google_monitoring_alert_policy" "token_rejected" {
  count = var.pinterest_auth_alert == null ? 0 : 1

  project               = var.project_id
  display_name          = "${var.name}: Pinterest refuses the token"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.pinterest_auth_alert.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "Any Pinterest 401 or 403"

    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.token_rejections.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.ad_account_id"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "${var.name}: Pinterest refuses the token"
    content   = "Pinterest answered 401 after a fresh read of the token, or 403: every event of that ad account fails (reason `token rejected` or `HTTP 403`). Make a new conversion access token in Pinterest Ads Manager (Conversions, for the ad account named in the alert) and add it as a new version of the token secret (`terraform output token_secret_ids`); a 401 re-reads the secret at once. Then send the failed events again with `python -m function replay`. ${local.look_first}"
  }
  depends_on = [time_sleep.metric_known]
}

resource "google_monitoring_alert_policy" "error_ratio" {
  count = var.error_ratio_alert == null ? 0 : 1

  project               = var.project_id
  display_name          = "${var.name}: share of Pinterest events failing"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.error_ratio_alert.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "More than ${var.error_ratio_alert.threshold * 100} % of an ad account's events failed in 15 minutes"

    # failed / (delivered + failed), per ad account, over 15 minutes.
    condition_threshold {
      filter             = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.delivery_outcomes.name}\" AND metric.label.outcome=\"failed\""
      denominator_filter = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.delivery_outcomes.name}\""
      comparison         = "COMPARISON_GT"
      threshold_value    = var.error_ratio_alert.threshold
      duration           = "0s"

      aggregations {
        alignment_period     = "900s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.ad_account_id"]
      }
      denominator_aggregations {
        alignment_period     = "900s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.ad_account_id"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "${var.name}: more than ${var.error_ratio_alert.threshold * 100} % of events failing"
    content   = "A share of an ad account's events above the threshold failed for good in 15 minutes. The reason column says why: `event rejected (HTTP 200)` names the field Pinterest refused (fix it in the tag's event data, see `python -m function report`), `HTTP 400`/`422` a malformed request, `HTTP 429`/`5xx` or `no answer` trouble on Pinterest's side (send them again with `python -m function replay` once it passes). ${local.look_first}"
  }
  depends_on = [time_sleep.metric_known]
}

# Each probe ends in one line of its own (function/delivery/probe.py): PROBE_FAILED when it did not
# pass. The probe runs as its own Cloud Run service, NAME-probe, so no metric above counts its lines
# (their service is NAME), nor would they by outcome: a probe's outcome is `probe`.
resource "google_logging_metric" "probe_failures" {
  count = local.probe ? 1 : 0

  project     = var.project_id
  name        = "${var.name}-probe-failures"
  filter      = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${var.name}-probe\" AND jsonPayload.message=\"pinterest probe failed\""
  description = "Probes of ${var.name} (test-mode events with the deployed token) that Pinterest did not take, by ad account."

  label_extractors = {
    ad_account_id = "EXTRACT(jsonPayload.ad_account_id)"
    status_code   = "EXTRACT(jsonPayload.response_status_code)"
  }

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.name} failed probes"

    labels {
      key         = "ad_account_id"
      value_type  = "STRING"
      description = "Pinterest ad account"
    }
    labels {
      key         = "status_code"
      value_type  = "STRING"
      description = "Pinterest's HTTP status; empty when no answer came or no call was made"
    }
  }

  depends_on = [google_project_service.main]
}

resource "google_monitoring_alert_policy" "probe_failed" {
  count = var.probe_alert != null && local.probe ? 1 : 0

  project               = var.project_id
  display_name          = "${var.name}: the Pinterest probe fails"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.probe_alert.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "A failed probe of an ad account"

    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.probe_failures[0].name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.ad_account_id"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "${var.name}: the Pinterest probe fails"
    content   = "A test-mode event sent with the deployed token (never recorded by Pinterest) was not taken, so real events of that ad account fail the same way. Look first: `python -m function logs --since 1h --outcome probe` (its reason and error say why), or try again with `python -m function probe --ad-account ID`. `HTTP 401`/`HTTP 403`: the token is revoked or may not send to that account; add a new token version to its secret (`terraform output token_secret_ids`). `not sent` with `token unavailable`: the function cannot read the secret (no version, or the runtime account lost access). `no answer` or `HTTP 5xx`: Pinterest is unreachable or failing. `event rejected`: Pinterest's own reason is in the error. ${local.look_first}"
  }
  depends_on = [time_sleep.metric_known]
}

# pubsub delivery: the queue's oldest unacked event, from Pub/Sub's own metric (no log line needed).
resource "google_monitoring_alert_policy" "backlog_age" {
  count = var.backlog_alert != null && local.pubsub ? 1 : 0

  project               = var.project_id
  display_name          = "${var.name}: queued events wait too long"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.backlog_alert.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "The oldest unacked event of ${var.name}-events is older than ${var.backlog_alert.minutes} minutes"

    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=\"${google_pubsub_subscription.events[0].name}\" AND metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.backlog_alert.minutes * 60
      duration        = "120s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "${var.name}: queued events older than ${var.backlog_alert.minutes} minutes"
    content   = "Events wait in the subscription ${google_pubsub_subscription.events[0].name} longer than ${var.backlog_alert.minutes} minutes: no drain takes them, or Pinterest keeps refusing them with a retryable answer. Look first at the drain's logs (the function ${var.name}-drain, or the service's streaming pull; a drain that runs prints its summary: pulled, delivered, retrying), then `gcloud pubsub subscriptions describe ${google_pubsub_subscription.events[0].name} --project ${var.project_id}` (numUndeliveredMessages is not in it: the Monitoring metric num_undelivered_messages is) and the README's backlog commands (\"Seeing the backlog\"). Rows with outcome `retrying` name Pinterest's answer; none at all means no drain runs (a paused Cloud Scheduler job ${var.name}-drain, a failing deploy). ${local.look_first}"
  }
}
