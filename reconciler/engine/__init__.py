"""Reconciliation: normalising live and desired state, diffing, planning (pure), applying (effectful)."""
