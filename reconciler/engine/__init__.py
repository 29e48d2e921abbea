"""The engine: matching, diffing and building the Plan, the Plan value, plan files and report models.

Pure: no network, no files, no environment, no clock. Reading live state, executing a plan and
rolling it back are effectful and live in :mod:`reconciler.session`.
"""
