"""GitHub integration: sticky pull-request comments, the drift issue, step summaries, annotations.

Two halves, kept apart as everywhere in ComfyOps:

- pure: ``fit`` (cutting Markdown under a size limit without losing its head), ``comments`` and
  ``issues`` decisions (which comment or issue is ours, what to do with it), ``annotations``
  (workflow commands for diagnostics), ``errors`` (the exception tree and the response mapping);
- effectful: ``client`` (the one ``httpx.Client`` for the GitHub REST API, built from
  ``GITHUB_TOKEN`` / ``GITHUB_REPOSITORY`` / ``GITHUB_API_URL``, with retries on rate limits and
  ``Link``-header pagination), the ``upsert``/``sync`` functions that call it, and ``summary``
  (appending to ``$GITHUB_STEP_SUMMARY``).

The token lives only in the client's ``Authorization`` header: it is never logged, printed or put
in an error, and it is sent only to the API's own origin, even when a ``Link`` header points away.
"""
