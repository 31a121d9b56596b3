"""Tests of the deployment: the terraform module, cloudbuild.yaml and the source archive."""
