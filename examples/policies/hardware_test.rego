# Tests for hardware.rego: `comfyops policy test examples/policies`.
# The embedded engine needs `with input.<field> as <literal>` (not `with input as {...}`).
package main

import rego.v1

test_hopper_is_denied_in_staging if {
	deny["big: hardware HOPPER_141 is not allowed in staging (allowed: ADA_48_PLUS, AMPERE_24, AMPERE_48, TURING_16)"] with input.environment as "staging"
		with input.changes as [{"name": "big", "action": "create", "after": {"hardware": "HOPPER_141"}}]
}

test_hopper_is_allowed_in_prod if {
	count(deny) == 0 with input.environment as "prod"
		with input.changes as [{"name": "big", "action": "create", "after": {"hardware": "HOPPER_141"}, "monthly_cost_after": 0}]
}

test_small_gpus_are_allowed_in_staging if {
	count(deny) == 0 with input.environment as "staging"
		with input.changes as [{"name": "small", "action": "update", "after": {"hardware": "AMPERE_24"}, "monthly_cost_after": 0}]
}

test_deletes_are_not_checked if {
	count(deny) == 0 with input.environment as "staging"
		with input.changes as [{"name": "old", "action": "delete", "after": null, "monthly_cost_after": 0}]
}
