"""Ephemeral ports: distinct, bindable, never the machine's well-known ones."""

from __future__ import annotations

import socket

from clinic_devstack.ports import RESERVED_PORTS, free_port, free_ports, port_is_free


def test_ports_are_distinct_free_and_ephemeral() -> None:
    ports = free_ports(50)
    assert len(set(ports)) == 50
    assert not set(ports) & RESERVED_PORTS
    assert all(p >= 1024 for p in ports)
    for port in ports[:10]:
        assert port_is_free(port)


def test_port_in_use_is_reported_busy() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        assert not port_is_free(busy)


def test_a_port_is_never_handed_out_twice() -> None:
    first = free_port()
    assert first not in free_ports(20)
