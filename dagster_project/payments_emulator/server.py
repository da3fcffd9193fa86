"""The emulator's HTTP server: the three dialects, fault injection, and the control plane.

Provider paths: Stripe `/v1/...`, GoCardless `/payments`, `/mandates`, Adyen `/v71/...`.
Control plane (never on a provider path):

- `POST /_emulator/faults` a rule, or `{"faults": [rules]}` (see `state.Fault`);
  `GET` lists them, `DELETE` clears them
- `GET /_emulator/requests` the request log; `GET /_emulator/charges` every payment created
- `POST /_emulator/customers` `{"dialect", "customer_id", "payment_method"}` (null: none)
- `POST /_emulator/clock` `{"advance_s": N}` settles async payments and ages keys
- `POST /_emulator/reset` clears everything
"""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from dagster_project.payments_emulator.adyen import AdyenDialect
from dagster_project.payments_emulator.base import Dialect, Reply, Request
from dagster_project.payments_emulator.gocardless import GoCardlessDialect
from dagster_project.payments_emulator.state import EmulatorState, Fault
from dagster_project.payments_emulator.stripe import StripeDialect

# Faults answered instead of the provider: nothing is recorded.
_INSTEAD = {"http_500", "should_retry", "no_retry", "rate_limit", "conflict_in_flight"}
DEFAULT_HOLD_S = 2.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    emulator: Emulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the providers serve
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # the request log is at /_emulator/requests

    def do_GET(self) -> None:  # stdlib's name
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass  # the connection was reset on purpose, or the client left

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        request = Request(self.command, url.path, parse_qs(url.query), self.headers, body)
        emulator = self.server.emulator
        if url.path.startswith("/_emulator/"):
            self.send(emulator.control(request))
        else:
            emulator.serve(request, self)

    def send(self, reply: Reply) -> None:
        data = reply.encoded()
        try:
            self.send_response(reply.status)
            headers = {
                "Content-Type": "application/json",
                **reply.headers,
                "Content-Length": str(len(data)),
            }
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client gave up (timed out) before the answer

    def reset(self) -> None:
        """Closes the connection at once with an RST, no response."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


class Emulator:
    """Stripe, GoCardless and Adyen on one local port, with an idempotency store per
    provider and injectable faults. `with Emulator() as emulator: emulator.url`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, auto_customers: bool = True):
        self.state = EmulatorState(auto_customers=auto_customers)
        self.dialects: list[Dialect] = [
            StripeDialect(self.state),
            GoCardlessDialect(self.state),
            AdyenDialect(self.state),
        ]
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> Self:
        self._server = _Server(self._address, _Handler)
        self._server.emulator = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="payments-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.state.stopping.set()  # ends held (timed-out) requests at once
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "the emulator is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- in-process control (the same as the HTTP control plane) ------------------------

    def add_fault(
        self,
        action: str,
        dialect: str | None = None,
        times: int = 1,
        args: dict[str, Any] | None = None,
        **match: Any,
    ) -> Fault:
        return self.state.add_fault(
            {
                "action": action,
                "dialect": dialect,
                "times": times,
                "args": args or {},
                "match": match,
            }
        )

    def add_customer(self, dialect: str, customer_id: str, payment_method: str | None) -> None:
        self.state.add_customer(dialect, customer_id, payment_method)

    def charges(self) -> list[dict[str, Any]]:
        return self.state.snapshot_charges()

    def requests(self) -> list[dict[str, Any]]:
        return self.state.snapshot_log()

    def advance(self, seconds: float) -> None:
        with self.state.lock:
            self.state.offset_s += seconds
            for dialect in self.dialects:
                dialect.advance()

    def reset(self) -> None:
        self.state.reset()

    # --- serving ------------------------------------------------------------------------

    def serve(self, request: Request, handler: _Handler) -> None:
        dialect = next((dialect for dialect in self.dialects if dialect.owns(request.path)), None)
        if dialect is None:
            handler.send(Reply(404, {"error": f"no provider serves {request.path}"}))
            return
        key = request.header("Idempotency-Key")
        entry: dict[str, Any] = {
            "dialect": dialect.name,
            "method": request.method,
            "path": request.path,
            "op": "create" if dialect.is_create(request) else "read",
            "idempotency_key": key,
            "invoice_id": dialect.invoice_id(request),
            "time": self.state.now(),
            "fault": None,
            "replayed": False,
            "status": None,
        }
        self.state.append_log(entry)  # at arrival: a held request is in the log at once
        denied = dialect.unauthorized(request)
        if denied is not None:
            self._answer(handler, entry, denied)
            return
        fault = self.state.take_fault(dialect.name, entry["op"], key, entry["invoice_id"])
        action = fault.action if fault else None
        args = fault.args if fault else {}
        with self.state.lock:
            entry["fault"] = action
        if action in _INSTEAD:
            self._answer(handler, entry, dialect.fault_reply(action, args))
        elif action == "reset":
            self._drop(handler, entry)
        elif action == "timeout_before_commit":
            self.state.stopping.wait(float(args.get("hold_s", DEFAULT_HOLD_S)))
            self._drop(handler, entry)
        else:
            reply = dialect.handle(request, decline=action == "decline")
            with self.state.lock:
                entry["replayed"] = reply.replayed
            self._after_commit(handler, entry, dialect, request, reply, action, args)

    def _after_commit(
        self,
        handler: _Handler,
        entry: dict[str, Any],
        dialect: Dialect,
        request: Request,
        reply: Reply,
        action: str | None,
        args: dict[str, Any],
    ) -> None:
        key = entry["idempotency_key"]
        if action == "http_500_after_commit":
            error = dialect.fault_reply("http_500", args)
            stored = self.state.stored(dialect.name, key) if key else None
            if dialect.stores_server_errors() and stored is not None and not reply.replayed:
                stored.status, stored.body, stored.headers = error.status, error.body, error.headers
            self._answer(handler, entry, error)
        elif action == "timeout_after_commit":
            self.state.stopping.wait(float(args.get("hold_s", DEFAULT_HOLD_S)))
            self._answer(handler, entry, reply)
        elif action == "reset_after_commit":
            self._drop(handler, entry)
        elif action == "malformed_json":
            self._answer(
                handler, entry, Reply(200, b'{"id": "pi_', {"Content-Type": "application/json"})
            )
        else:
            self._answer(handler, entry, reply)

    def _answer(self, handler: _Handler, entry: dict[str, Any], reply: Reply) -> None:
        with self.state.lock:
            entry["status"] = reply.status
        handler.send(reply)

    def _drop(self, handler: _Handler, entry: dict[str, Any]) -> None:
        with self.state.lock:
            entry["status"] = "no_response"
        handler.reset()

    # --- control plane ------------------------------------------------------------------

    def control(self, request: Request) -> Reply:
        route = (request.method, request.path.rstrip("/"))
        body = request.json() if request.body else {}
        try:
            if route == ("POST", "/_emulator/faults"):
                rules = body.get("faults", [body]) if isinstance(body, dict) else body
                return Reply(201, {"ids": [self.state.add_fault(rule).id for rule in rules]})
            if route == ("GET", "/_emulator/faults"):
                with self.state.lock:
                    return Reply(200, {"faults": [asdict(fault) for fault in self.state.faults]})
            if route == ("DELETE", "/_emulator/faults"):
                with self.state.lock:
                    self.state.faults.clear()
                return Reply(200, {"faults": []})
            if route == ("GET", "/_emulator/requests"):
                return Reply(200, {"requests": self.requests()})
            if route == ("GET", "/_emulator/charges"):
                return Reply(200, {"charges": self.charges()})
            if route == ("POST", "/_emulator/customers"):
                self.add_customer(body["dialect"], body["customer_id"], body.get("payment_method"))
                return Reply(201, body)
            if route == ("POST", "/_emulator/clock"):
                self.advance(float(body.get("advance_s", 0)))
                return Reply(200, {"offset_s": self.state.offset_s})
            if route == ("POST", "/_emulator/reset"):
                self.reset()
                return Reply(200, {})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return Reply(400, {"error": f"bad control request: {exc}"})
        return Reply(404, {"error": f"no control route {request.method} {request.path}"})
