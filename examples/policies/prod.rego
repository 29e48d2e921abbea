# Prod deployments are protected, smoke-tested, and never paused without saying why.
package main

import rego.v1

prod_deployments contains doc if {
	input.environment == "prod"
	some doc in input.manifests
	doc.kind == "Deployment"
	object.get(doc.spec, "state", "present") == "present"
}

deny contains msg if {
	some doc in prod_deployments
	not doc.spec.protect
	msg := sprintf("%s: prod deployments must set protect: true", [doc.metadata.name])
}

deny contains msg if {
	some doc in prod_deployments
	not doc.spec.smoke
	msg := sprintf("%s: prod deployments must have a smoke test (spec.smoke)", [doc.metadata.name])
}

deny contains msg if {
	some doc in prod_deployments
	doc.spec.is_enabled == false
	not doc.metadata.labels["paused-reason"]
	msg := sprintf("%s: is_enabled: false in prod needs a metadata.labels.paused-reason", [doc.metadata.name])
}
