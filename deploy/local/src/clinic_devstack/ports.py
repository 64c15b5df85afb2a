"""Free TCP ports on 127.0.0.1, chosen by the kernel from the ephemeral range.

Ports are never fixed in tests so that a test run cannot collide with `make run` or with servers
already listening on the machine (system PostgreSQL on 5432, NATS on 4222).
"""

from __future__ import annotations

import socket
import threading

LOOPBACK = "127.0.0.1"

# Well-known ports of servers that may already run on the machine; never handed out.
RESERVED_PORTS: frozenset[int] = frozenset({4222, 5432, 6222, 8001, 8002, 8003, 8004, 8222})

_lock = threading.Lock()
_handed_out: set[int] = set()


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Tell whether a TCP listener could bind `host:port` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = LOOPBACK) -> int:
    """Return an ephemeral port that is free now and not yet handed out by this process.

    The kernel picks the port (bind to 0), so it comes from the ephemeral range and is free at
    the time of the call; remembering what was handed out keeps two servers started by the same
    process from receiving the same port before either has bound it.
    """
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        with _lock:
            if port in RESERVED_PORTS or port in _handed_out:
                continue
            _handed_out.add(port)
        return port
    raise RuntimeError("could not find a free TCP port on " + host)


def free_ports(count: int, host: str = LOOPBACK) -> list[int]:
    """Return `count` distinct free ports."""
    return [free_port(host) for _ in range(count)]
