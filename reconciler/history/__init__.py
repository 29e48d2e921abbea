"""The local request history: every request ComfyOps submits (smoke, run), by id, state and time.

- :mod:`.entry`: one request's record and the pure decisions over records (latest per request,
  the newest instance that may still be warm).
- :mod:`reconciler.render.history`: the ``requests`` listing (text, JSON).
- :mod:`.store`: the bounded ``.comfyops/history.jsonl`` file (effectful).
- :mod:`.journal`: what ``smoke``, ``apply --smoke`` and ``run`` call as requests start and end.

The history holds ids, states and times only: never overrides, extra_data, tokens or output URLs
(signed URLs are credentials). Instances are known only through it: the API lists no instances.
"""
