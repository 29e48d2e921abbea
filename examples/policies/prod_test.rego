# Tests for prod.rego.
package main

import rego.v1

test_unprotected_prod_deployment_is_denied if {
	deny["a-prod: prod deployments must set protect: true"] with input.environment as "prod"
		with input.changes as []
		with input.manifests as [{"kind": "Deployment", "metadata": {"name": "a-prod"}, "spec": {"smoke": {"timeout_seconds": 60}}}]
}

test_prod_deployment_without_smoke_is_denied if {
	deny["a-prod: prod deployments must have a smoke test (spec.smoke)"] with input.environment as "prod"
		with input.changes as []
		with input.manifests as [{"kind": "Deployment", "metadata": {"name": "a-prod"}, "spec": {"protect": true}}]
}

test_paused_prod_deployment_needs_a_reason if {
	deny["a-prod: is_enabled: false in prod needs a metadata.labels.paused-reason"] with input.environment as "prod"
		with input.changes as []
		with input.manifests as [{"kind": "Deployment", "metadata": {"name": "a-prod"}, "spec": {"protect": true, "smoke": {}, "is_enabled": false}}]
}

test_paused_prod_deployment_with_a_reason_passes if {
	count(deny) == 0 with input.environment as "prod"
		with input.changes as []
		with input.manifests as [{"kind": "Deployment", "metadata": {"name": "a-prod", "labels": {"paused-reason": "INC-42"}}, "spec": {"protect": true, "smoke": {}, "is_enabled": false}}]
}

test_staging_is_not_held_to_prod_rules if {
	count(deny) == 0 with input.environment as "staging"
		with input.changes as []
		with input.manifests as [{"kind": "Deployment", "metadata": {"name": "a-staging"}, "spec": {}}]
}
