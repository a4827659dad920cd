"""Run the simulator's HTTP server: in a background thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType

from werkzeug.serving import BaseWSGIServer, make_server

from voicecast.simulator.engine import Simulator, SimulatorConfig
from voicecast.simulator.rest import create_simulator_app

POLL_SECONDS = 0.05  # how soon serve_forever notices shutdown()


class SimulatorServer:
    """A threaded HTTP server around a Simulator. Use as a context manager, or `close()`."""

    def __init__(self, config: SimulatorConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = Simulator(config)
        try:
            app = create_simulator_app(self.simulator)
            self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        except BaseException:
            self.simulator.close()
            raise
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def port(self) -> int:
        return self._server.server_port

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:5099 (what TWILIO_API_URL should be)."""
        host = self._server.host
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def start(self) -> SimulatorServer:
        """Serve from a background thread; returns self."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL_SECONDS,), name="sim-http", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until SIGINT/SIGTERM, then close."""

        def stop(signum: int, frame: FrameType | None) -> None:
            threading.Thread(target=self._server.shutdown, daemon=True).start()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._server.serve_forever(POLL_SECONDS)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.close()

    def close(self) -> None:
        """Stop serving, stop every call player, release the socket. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        self.simulator.close()

    def __enter__(self) -> SimulatorServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
