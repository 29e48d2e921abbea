"""A faithful local RunComfy Serverless API: the same Starlette app in process and over HTTP.

Modules: :mod:`.app` (the ASGI app and its documented choices), :mod:`.routes_api` and
:mod:`.routes_emulator` (routes), :mod:`.deployments` and :mod:`.requests` (pure logic),
:mod:`.workflows` (graph reading), :mod:`.state` (persistence), :mod:`.faults` (faults and the
rate limit), :mod:`.media` (PNG/MP4 bytes), :mod:`.clock`, :mod:`.embedded` (loopback server).
"""
