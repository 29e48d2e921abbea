"""Use cases: the effectful orchestration of the pure core and the clients, one module per use case.

Effectful: a use case reads manifests' live counterparts through the session's one client, executes
plans, runs smoke tests, reads and writes files under ``.comfyops/``. It never imports click and never
prints: what it has to say (notes, problems, progress displays) goes to the command's output object
(:class:`~reconciler.session.session.Reporter`), and what it did comes back as a report for the command to
render.

- :mod:`.session`: :class:`~reconciler.session.session.Session`, the global options and the one client.
- :mod:`.planning`: connect with the manifests' settings, read live state, build the plan, attach policy.
- :mod:`.observing`: the read-only comparisons (drift, status).
- :mod:`.apply`: a plan executed, then smoke-tested and rolled back where asked.
- :mod:`.executor` and :mod:`.rollback`: the change-by-change execution of a plan, and its undoing.
- :mod:`.observe`: the one list call that reads live state.
- :mod:`.planfiles`: saved plan files on disk.
- :mod:`.lookup`: a live deployment by name or id, for the live-operation commands.
- :mod:`.request_queue`, :mod:`.request_list`: one request's queue endpoints; the local request history.
- :mod:`.instances`, :mod:`.freeing`: ComfyUI on a live instance (``proxy``), freeing its memory (``free``).
- :mod:`.snapshots`: live state saved for a plan without a token, and read back checked.
- :mod:`.reconciling`: reconcile's passes (with :mod:`.reconcile`, one pass), their metrics and notifications.
- :mod:`.publishing`: the GitHub comment, issue, artifact download and check run.
- :mod:`.formatting`: manifests rewritten into the canonical layout (``fmt``).
- :mod:`.recording`: the request history as the use cases record into it.
"""
