"""Use cases: the effectful orchestration of the core and the clients (ARCHITECTURE §2).

No click and no printing here: a use case takes what the command line parsed and returns a report.
"""
