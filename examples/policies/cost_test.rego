# Tests for cost.rego.
package main

import rego.v1

test_over_the_prod_cap_is_denied if {
	deny["warm instances would cost $4380.00/month in prod, over the $4000 cap"] with input.environment as "prod"
		with input.changes as [
			{"name": "a", "action": "create", "after": {"hardware": "AMPERE_48"}, "monthly_cost_after": 2190},
			{"name": "b", "action": "noop", "after": {"hardware": "AMPERE_48"}, "monthly_cost_after": 2190},
		]
}

test_deleted_deployments_do_not_count if {
	count(deny) == 0 with input.environment as "prod"
		with input.changes as [
			{"name": "a", "action": "delete", "after": null, "monthly_cost_after": 9000},
			{"name": "b", "action": "noop", "after": {"hardware": "AMPERE_48"}, "monthly_cost_after": 100},
		]
}

test_near_the_cap_warns if {
	warn["warm instances would cost $450.00/month in staging, over 80% of the $500 cap"] with input.environment as "staging"
		with input.changes as [{"name": "a", "action": "noop", "after": {"hardware": "AMPERE_24"}, "monthly_cost_after": 450}]
}

test_unknown_environment_uses_the_default_cap if {
	count(deny) == 1 with input.environment as "qa"
		with input.changes as [{"name": "a", "action": "noop", "after": {"hardware": "AMPERE_24"}, "monthly_cost_after": 501}]
}
