"""Policy checks on plans: Rego files evaluated with the embedded rego-cpp engine (regopy), conftest style."""
