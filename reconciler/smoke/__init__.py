"""Smoke tests of deployed workflows: submit a sample request, poll it, check its outputs, clean up.

- :mod:`.media`: file format and pixel size sniffed from bytes (pure).
- :mod:`.checks`: a run's result against ``spec.smoke.expect`` (pure).
- :mod:`.report`: the :class:`~reconciler.smoke.report.SmokeReport` value (pure).
- :mod:`.polling`: waiting for one request with backoff, deadline and cancellation (effectful).
- :mod:`.runner`: :func:`~reconciler.smoke.runner.run_smoke`, many deployments at once (effectful).
- :mod:`.progress`: live per-deployment progress on a terminal, plain lines elsewhere (effectful).
- :mod:`.keeping`: a run's pictures kept for the HTML gallery under ``.comfyops/outputs/`` (effectful).
- :mod:`.thumbnails`: small pictures for the HTML gallery, frames of animations and video (pure).
"""
