"""ComfyOps: a declarative GitOps reconciler for RunComfy Serverless API (ComfyUI) deployments.

The import package is ``reconciler``; the distribution and command are ``comfyops``.
This module holds the version, in one place, and nothing that does work at import time.
"""

__version__ = "0.1.0"
