"""Everything that knows the RunComfy Serverless API: facts (catalog), wire models, errors, the client."""
