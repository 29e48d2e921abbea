# Allowed GPU SKUs per environment: no HOPPER_141 (or other 80 GB+ cards) outside prod.
package main

import rego.v1

allowed_hardware := {
	"staging": {"TURING_16", "AMPERE_24", "AMPERE_48", "ADA_48_PLUS"},
	"prod": {"AMPERE_48", "ADA_48_PLUS", "AMPERE_80", "ADA_80_PLUS", "HOPPER_141"},
}

deny contains msg if {
	some change in input.changes
	change.action in {"create", "update", "replace"}
	hardware := change.after.hardware
	allowed := object.get(allowed_hardware, input.environment, set())
	not hardware in allowed
	# concat, not sprintf("%s"), for strings built by other built-ins (see README: Policy)
	msg := concat("", [
		sprintf("%s: hardware %s is not allowed in %s", [change.name, hardware, input.environment]),
		" (allowed: ", concat(", ", sort([h | some h in allowed])), ")",
	])
}
