# Secret Manager secrets are created empty: their values are added out of band with
# `gcloud secrets versions add`, so no token or key ever passes through terraform's variables,
# plan or state.

locals {
  # One token for every account, or one per account when per_account_tokens is set.
  token_secret_ids = var.per_account_tokens ? {
    for id in distinct(concat([var.ad_account_id], var.ad_account_ids)) : id => "${var.name}-token-${id}"
  } : { default = "${var.name}-token" }

  # The function substitutes {ad_account_id} itself, so this is a template, not an interpolation.
  # Names are spelt from the secrets' own fields, known at plan time (a secret's id is not), in
  # the form its id takes: projects/PROJECT/secrets/SECRET_ID.
  token_secret_name = (var.per_account_tokens
    ? "projects/${var.project_id}/secrets/${var.name}-token-{ad_account_id}"
    : "projects/${google_secret_manager_secret.token["default"].project}/secrets/${google_secret_manager_secret.token["default"].secret_id}"
  )
}

resource "google_secret_manager_secret" "token" {
  for_each = local.token_secret_ids

  project   = var.project_id
  secret_id = each.value
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.main]
}

# The callers' API keys, one per line (two while rotating); only with caller_auth = keys.
resource "google_secret_manager_secret" "caller_keys" {
  count = var.caller_auth == "keys" ? 1 : 0

  project   = var.project_id
  secret_id = "${var.name}-caller-keys"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.main]
}

resource "google_secret_manager_secret_iam_member" "token" {
  for_each = google_secret_manager_secret.token

  project   = each.value.project
  secret_id = each.value.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.runtime_member
}

resource "google_secret_manager_secret_iam_member" "caller_keys" {
  count = length(google_secret_manager_secret.caller_keys)

  project   = google_secret_manager_secret.caller_keys[count.index].project
  secret_id = google_secret_manager_secret.caller_keys[count.index].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.runtime_member
}
