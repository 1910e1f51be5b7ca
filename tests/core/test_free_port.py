"""The ports our test and dev servers listen on are below the kernel's ephemeral range, where
no outgoing connection can take one between its choice and the server's bind."""

from __future__ import annotations

import socket

import pytest

from core import embedded
from core.embedded import EPHEMERAL_RANGE, LISTEN_PORTS_FROM, free_port


def test_a_free_port_is_below_the_ephemeral_range_and_can_be_bound() -> None:
    ephemeral_from = int(EPHEMERAL_RANGE.read_text().split()[0])
    ports = {free_port() for _ in range(20)}
    assert all(LISTEN_PORTS_FROM <= port < ephemeral_from for port in ports)
    assert len(ports) > 1  # chosen at random, not one port for every server
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports.pop()))


def test_a_port_someone_listens_on_is_never_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    held = free_port()
    # The held port twice, then the one above it (LISTEN_PORTS_FROM stays put: raised to the
    # held port it could leave too little room below the ephemeral range to draw at all).
    offset = held - LISTEN_PORTS_FROM
    draws = iter([offset, offset, offset + 1])
    monkeypatch.setattr(embedded.secrets, "randbelow", lambda _: next(draws))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", held))
        taken.listen()
        assert free_port() == held + 1
