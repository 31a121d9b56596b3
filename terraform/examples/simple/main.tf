# The gateway with its defaults: a Cloud Function, caller keys, logs in BigQuery.
#   terraform init && terraform apply -var project_id=my-proj -var ad_account_id=549123456789

variable "project_id" {
  description = "Project that hosts the gateway."
  type        = string
}

variable "ad_account_id" {
  description = "Pinterest ad account that receives the events (digits only)."
  type        = string
}

module "pinterest_capi" {
  source = "../.."

  project_id    = var.project_id
  ad_account_id = var.ad_account_id
}

output "url" {
  description = "HTTPS endpoint to paste into the server-side GTM HTTP request tag."
  value       = module.pinterest_capi.url
}

output "token_secret_ids" {
  description = "Secrets to add the Pinterest token to."
  value       = module.pinterest_capi.token_secret_ids
}

output "caller_keys_secret_id" {
  description = "Secret to add the callers' API keys to."
  value       = module.pinterest_capi.caller_keys_secret_id
}
