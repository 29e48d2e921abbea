# A cap on the standing cost of warm instances (min_instances), per environment, after apply.
package main

import rego.v1

monthly_cap := {"staging": 500, "prod": 4000}

default_cap := 500

cap := object.get(monthly_cap, input.environment, default_cap)

# Standing monthly cost once the plan is applied: every deployment that stays (not deleted).
warm_cost := sum([change.monthly_cost_after | some change in input.changes; change.action != "delete"])

deny contains msg if {
	warm_cost > cap
	msg := sprintf("warm instances would cost $%.2f/month in %s, over the $%d cap", [warm_cost, input.environment, cap])
}

warn contains msg if {
	warm_cost <= cap
	warm_cost > cap * 0.8
	msg := sprintf("warm instances would cost $%.2f/month in %s, over 80%% of the $%d cap", [
		warm_cost, input.environment, cap,
	])
}
