"""The address phones on the same Wi-Fi reach this machine by, for ``make run HOST=0.0.0.0``.

    python -m quiz.lan 0.0.0.0 5000        → http://192.168.1.23:5000

A UDP socket "connected" to a private address makes the kernel choose the outgoing interface
without sending a packet (no network needed); its own address is the LAN address. A specific
HOST is used as given; 127.0.0.1 when nothing better is known.
"""
from __future__ import annotations

import socket
import sys

ANY = {"0.0.0.0", "::", ""}


def lan_address() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 9))
            address = probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"
    return address or "127.0.0.1"


def public_url(host: str, port: int | str) -> str:
    """The base URL for QR codes when serving on ``host``:``port``."""
    shown = lan_address() if host in ANY else host
    return f"http://{shown}:{port}"


if __name__ == "__main__":
    print(public_url(*(sys.argv[1:3] if len(sys.argv) >= 3 else ("127.0.0.1", "5000"))))
