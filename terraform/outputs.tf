output "url" {
  description = "HTTPS endpoint to paste into the server-side GTM HTTP request tag."
  value       = local.url
}

output "caller_key_header" {
  description = "Header that carries the caller's credential: X-Api-Key with the key (caller_auth = keys), or Authorization with a Google-signed ID token (iam)."
  value       = var.caller_auth == "keys" ? "X-Api-Key" : "Authorization"
}

output "service_account_email" {
  description = "Identity the gateway runs as."
  value       = google_service_account.runtime.email
}

output "log_table_id" {
  description = "BigQuery log table, as project.dataset.table."
  value       = local.log_table_id
}

output "token_secret_ids" {
  description = "Secrets to add the Pinterest token to (`gcloud secrets versions add ID --data-file=-`), by ad account (or `default`)."
  value       = { for key, secret in google_secret_manager_secret.token : key => secret.secret_id }
}

output "caller_keys_secret_id" {
  description = "Secret to add the callers' API keys to, one per line (null with caller_auth = iam)."
  value       = one(google_secret_manager_secret.caller_keys[*].secret_id)
}

output "image_repository" {
  description = "Artifact Registry path that cloudbuild.yaml pushes service images to (null with deploy_as = function)."
  value       = one([for repo in google_artifact_registry_repository.main : "${repo.location}-docker.pkg.dev/${repo.project}/${repo.repository_id}"])
}
