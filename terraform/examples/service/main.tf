# The gateway as a Cloud Run service with CPU always allocated, for optimistic delivery.
# cloudbuild.yaml builds the image and passes its digest:
#   terraform apply -var project_id=my-proj -var ad_account_id=549123456789 \
#     -var image=us-central1-docker.pkg.dev/my-proj/pinterest-capi/gateway@sha256:...

variable "project_id" {
  description = "Project that hosts the gateway."
  type        = string
}

variable "ad_account_id" {
  description = "Pinterest ad account that receives the events (digits only)."
  type        = string
}

variable "image" {
  description = "Image built by cloudbuild.yaml, by digest."
  type        = string
}

module "pinterest_capi" {
  source = "../.."

  project_id    = var.project_id
  ad_account_id = var.ad_account_id
  deploy_as     = "service"
  image         = var.image

  delivery = {
    mode = "optimistic"
  }
}

output "url" {
  description = "HTTPS endpoint to paste into the server-side GTM HTTP request tag."
  value       = module.pinterest_capi.url
}
