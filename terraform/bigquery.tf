locals {
  # The same schema file the function validates its rows against.
  log_schema        = jsondecode(file("${local.source_root}/function/logs/schema.json"))
  log_partition     = "timestamp"
  log_clustering    = ["outcome", "event_name"]
  log_table_id      = "${var.project_id}.${google_bigquery_dataset.logs.dataset_id}.${google_bigquery_table.logs.table_id}"
  log_expiration_ms = var.log_table.partition_expiration_days == 0 ? null : var.log_table.partition_expiration_days * 86400000
}

resource "google_bigquery_dataset" "logs" {
  # checkov:skip=CKV_GCP_81: Google-managed encryption. Rows hold hashed identifiers only, never raw personal data or the token; a customer-managed key would need a KMS key and service-agent grants this module does not own.
  project     = var.project_id
  dataset_id  = var.log_table.dataset_id
  location    = coalesce(var.log_table.location, var.region)
  description = "Request and response logs of the Pinterest Conversions API gateway ${var.name}."
  labels      = var.labels

  delete_contents_on_destroy = !var.deletion_protection

  depends_on = [google_project_service.main]
}

resource "google_bigquery_table" "logs" {
  # checkov:skip=CKV_GCP_80: Google-managed encryption, as for the dataset (CKV_GCP_81 above).
  project     = var.project_id
  dataset_id  = google_bigquery_dataset.logs.dataset_id
  table_id    = var.log_table.table_id
  description = "One row per event per delivery attempt, plus one per skipped or invalid event."
  labels      = var.labels
  schema      = jsonencode(local.log_schema)
  clustering  = local.log_clustering

  deletion_protection = var.deletion_protection

  time_partitioning {
    type          = "DAY"
    field         = local.log_partition
    expiration_ms = local.log_expiration_ms
  }

  lifecycle {
    precondition {
      condition     = alltrue([for column in concat([local.log_partition], local.log_clustering) : contains(local.log_schema[*].name, column)])
      error_message = "function/logs/schema.json must keep the partition column (timestamp) and the clustering columns (outcome, event_name)."
    }
  }
}

# Match quality per ad account and event name over the last 7 days: what `python -m function report`
# prints, from the same SQL file the tests run against the BigQuery emulator.
resource "google_bigquery_table" "match_quality" {
  # checkov:skip=CKV_GCP_80: a view stores no data of its own, so there is nothing for a key to encrypt; it reads the log table.
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.logs.dataset_id
  table_id            = "${var.log_table.table_id}_match_quality"
  description         = "Match quality of delivered events, last 7 days: share carrying each Pinterest match key, share with a site-given event_id, lateness."
  labels              = var.labels
  deletion_protection = var.deletion_protection

  view {
    query          = templatefile("${local.source_root}/function/logs/match_quality.sql", { table = local.log_table_id })
    use_legacy_sql = false
  }
}

# Rows are streamed into this one table: the grant is on the table, not the dataset or project.
resource "google_bigquery_table_iam_member" "log_writer" {
  project    = var.project_id
  dataset_id = google_bigquery_table.logs.dataset_id
  table_id   = google_bigquery_table.logs.table_id
  role       = "roles/bigquery.dataEditor"
  member     = local.runtime_member
}
