"""A local stub of ATOL Online v5 for tests (the register is outside the system, so it is mocked).

It behaves as the published API says: `getToken`, then `POST {group}/{operation}` answering a
`uuid` with status `wait`, a repeated `external_id` refused with error code 10 and the first
document's `uuid`, and `GET {group}/report/{uuid}` answering `done` with the fiscal attributes.
It counts every request and every document registered, so a double registration would show;
`hold` makes the first sell of a key wait for `release` before answering (the register took the
document but has not answered yet)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GROUP = "clinic-test-group"


@dataclass
class Atol:
    hold: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sells: list[str] = field(default_factory=list)  # external_id of every sell request
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # external_id -> registered document
    by_uuid: dict[str, str] = field(default_factory=dict)
    tokens_issued: int = 0

    def registered(self) -> int:
        with self.lock:
            return len(self.documents)


def handler(state: Atol) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the caller was killed while we held its request

        def do_POST(self) -> None:  # the http.server API names it so
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            parts = self.path.strip("/").split("/")  # possystem, v5, ...
            if parts[-1] == "getToken":
                with state.lock:
                    state.tokens_issued += 1
                ok = body.get("login") == "clinic" and body.get("pass") == "secret"
                self._send(200, {"token": "tok-1" if ok else None, "error": None if ok else {"code": 12}})
                return
            if self.headers.get("Token") != "tok-1":
                self._send(401, {"error": {"code": 11, "text": "token missing", "type": "system"}})
                return
            external_id = body["external_id"]
            with state.lock:
                state.sells.append(external_id)
                first = external_id not in state.documents
                if first:
                    doc_uuid = str(uuid.uuid4())
                    n = len(state.documents) + 1
                    state.documents[external_id] = {
                        "uuid": doc_uuid,
                        "operation": parts[-1],
                        "receipt": body["receipt"],
                        "payload": {
                            "fiscal_receipt_number": n,
                            "shift_number": 7,
                            "receipt_datetime": "02.12.2026 12:00:00",
                            "total": body["receipt"]["total"],
                            "fn_number": "9999078900012345",
                            "ecr_registration_number": "0000000001012345",
                            "fiscal_document_number": 1000 + n,
                            "fiscal_document_attribute": 3_000_000_000 + n,
                            "fns_site": "www.nalog.gov.ru",
                        },
                    }
                    state.by_uuid[doc_uuid] = external_id
                doc_uuid = state.documents[external_id]["uuid"]
                hold = state.hold and first
            if hold:
                state.release.wait(60)
            if first:
                self._send(
                    200,
                    {"uuid": doc_uuid, "status": "wait", "error": None, "timestamp": "02.12.2026 12:00:00"},
                )
            else:
                self._send(
                    200,
                    {
                        "uuid": doc_uuid,
                        "status": "fail",
                        "timestamp": "02.12.2026 12:00:00",
                        "error": {
                            "code": 10,
                            "text": "Документ с external_id уже существует",
                            "type": "system",
                        },
                    },
                )

        def do_GET(self) -> None:  # the http.server API names it so
            doc_uuid = self.path.strip("/").split("/")[-1]
            with state.lock:
                key = state.by_uuid.get(doc_uuid)
                doc = state.documents.get(key or "")
            if doc is None:
                self._send(
                    200, {"uuid": doc_uuid, "status": "fail", "error": {"code": 34, "text": "not found"}}
                )
                return
            self._send(200, {"uuid": doc_uuid, "status": "done", "error": None, "payload": doc["payload"]})

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running() -> Iterator[tuple[Atol, str]]:
    """The stub on an ephemeral loopback port; yields its state and the v5 base URL."""
    state = Atol()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/possystem/v5"
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
