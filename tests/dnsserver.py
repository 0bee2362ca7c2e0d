"""A DNS server on loopback for the tests (dnslib): the zone given as text, every other
name answered NXDOMAIN. The check's resolver is pointed at it with `[check] nameservers`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dnslib import QTYPE, RCODE, RR, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSServer


class ZoneResolver(BaseResolver):  # type: ignore[misc]
    """Answers from ZONE (RFC 1035 master-file lines); NXDOMAIN for names it lacks."""

    def __init__(self, zone: str) -> None:
        self.records = RR.fromZone(zone) if zone.strip() else []
        self.asked: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        reply = request.reply()
        name, qtype = request.q.qname, QTYPE[request.q.qtype]
        with self._lock:
            self.asked.append((str(name).rstrip("."), qtype))
        known = [rr for rr in self.records if rr.rname == name]
        for rr in known:
            if QTYPE[rr.rtype] == qtype:
                reply.add_answer(rr)
        if not known:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


@contextmanager
def dns_server(zone: str = "") -> Iterator[tuple[str, ZoneResolver]]:
    """A DNS server for ZONE on 127.0.0.1 (UDP); yields 'host:port' and its resolver."""
    resolver = ZoneResolver(zone)
    server = DNSServer(resolver, address="127.0.0.1", port=0, logger=_Quiet())
    server.start_thread()
    try:
        yield f"127.0.0.1:{server.server.server_address[1]}", resolver
    finally:
        server.stop()
        server.server.server_close()


class _Quiet:
    def __getattr__(self, name: str) -> object:
        return lambda *args, **kwargs: None
