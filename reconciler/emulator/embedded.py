"""The emulator on a loopback port owned by this process, for ``--emulator`` and for tests.

``with EmbeddedEmulator(state_dir) as emu:`` binds 127.0.0.1 on an ephemeral port, serves the
same app as ``comfyops emulator serve`` with uvicorn in a daemon thread, and returns once it
accepts connections (typically well under 0.1 s). ``emu.base_url`` is what a client points at;
``emu.state``, ``emu.faults``, :meth:`configure` and :meth:`register_workflow` drive it from
Python. Leaving the block stops the server and joins the thread.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from reconciler.emulator.app import EmulatorApp, create_app
from reconciler.emulator.clock import Clock
from reconciler.emulator.faults import FaultConfig, FaultInjector
from reconciler.emulator.state import EmulatorState

STARTUP_TIMEOUT_SECONDS = 5.0


class EmbeddedEmulator:
    """A RunComfy emulator served over HTTP on ``127.0.0.1:<ephemeral>`` while the context is open."""

    def __init__(
        self,
        state_dir: Path | None = None,
        *,
        clock: Clock | None = None,
        required_token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        read_only: bool = False,
    ) -> None:
        """Prepare (do not start) an emulator over the state in ``state_dir`` (default per env);
        ``read_only`` keeps every change in memory and never writes that directory."""
        self.app: EmulatorApp = create_app(state_dir, clock=clock, required_token=required_token, read_only=read_only)
        self._host, self._port = host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def state(self) -> EmulatorState:
        """The emulator's persistent state."""
        return self.app.state

    @property
    def faults(self) -> FaultInjector:
        """The fault injector (``.set(...)``, ``.clear()``, ``.config()``)."""
        return self.app.faults

    @property
    def clock(self) -> Clock:
        """The clock request lifecycles follow."""
        return self.app.clock

    @property
    def port(self) -> int:
        """The bound port (only valid once started)."""
        if self._socket is None:
            raise RuntimeError("the emulator is not running")
        return int(self._socket.getsockname()[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, the API base URL to give a client."""
        return f"http://{self._host}:{self.port}"

    def register_workflow(self, workflow_id: str, version: str, graph: dict[str, Any]) -> bool:
        """Register a workflow version's ``workflow_api.json`` so deployments can name it; False when that
        exact graph was already registered under that version."""
        if self.app.state.workflow(workflow_id, version) == graph:
            return False
        self.app.register_workflow(workflow_id, version, graph)
        return True

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change ``queue_seconds``, ``run_seconds``, ``fail_next_runs`` or rate-limit settings."""
        return self.app.configure(**settings)

    def set_faults(self, **settings: Any) -> FaultConfig:
        """Replace the fault config (see :class:`FaultConfig`)."""
        return self.app.faults.set(**settings)

    def start(self) -> EmbeddedEmulator:
        """Bind the port, start serving in a daemon thread and wait until it is up."""
        # IPPROTO_TCP explicitly: asyncio enables TCP_NODELAY only on sockets that say they are TCP, and
        # without it every response waits ~40 ms for the client's delayed ACK (headers and body go apart).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        sock.listen(128)
        self._socket = sock
        config = uvicorn.Config(
            self.app,
            log_config=None,
            log_level="critical",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.run(sockets=[sock]), name="comfyops-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the embedded RunComfy emulator failed to start")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        """Stop serving and join the thread (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()
        self._server, self._thread, self._socket = None, None, None

    def __enter__(self) -> EmbeddedEmulator:
        """Start the emulator."""
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop the emulator."""
        self.stop()
