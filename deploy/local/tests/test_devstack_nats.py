"""Embedded NATS: JetStream on, restart keeps port and store, kill leaves nothing behind."""

from __future__ import annotations

import json
import urllib.request

import nats

from clinic_testkit.servers import NatsFactory, NatsServer, processes_mentioning


def _jsz(monitor_url: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{monitor_url}/jsz", timeout=5) as response:
        data: dict[str, object] = json.load(response)
    return data


async def test_session_server_has_jetstream(nats_server: NatsServer) -> None:
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await js.add_stream(name="TESTKIT", subjects=["testkit.>"])
        ack = await js.publish("testkit.hello", b"hi")
        assert ack.stream == "TESTKIT"
    finally:
        await nc.close()


async def test_restart_keeps_port_and_stream(nats_factory: NatsFactory) -> None:
    server = nats_factory()
    assert server.port != 4222
    assert server.url == f"nats://127.0.0.1:{server.port}"
    assert _jsz(server.monitor_url)["config"]
    nc = await nats.connect(server.url)
    js = nc.jetstream()
    await js.add_stream(name="FAULT", subjects=["fault.>"])
    await js.publish("fault.one", b"1")
    await nc.close()

    port = server.port
    server.restart()
    assert server.port == port
    nc = await nats.connect(server.url)
    info = await nc.jetstream().stream_info("FAULT")
    assert info.state.messages == 1
    await nc.close()

    server.kill()
    assert not server.is_running()
    assert processes_mentioning(str(server.store_dir)) == []
    server.start()
    nc = await nats.connect(server.url)
    info = await nc.jetstream().stream_info("FAULT")
    assert info.state.messages == 1
    await nc.close()


def test_factory_servers_are_distinct_and_stopped(nats_factory: NatsFactory) -> None:
    first, second = nats_factory(), nats_factory()
    assert len({first.port, second.port, first.monitor_port, second.monitor_port}) == 4
    nats_factory.close()
    assert not first.is_running() and not second.is_running()
    assert processes_mentioning(str(first.store_dir)) == []
