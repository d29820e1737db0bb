"""Loaded by Python at start-up when this folder is on PYTHONPATH: records every attempt of the process
to reach a host that is not this machine (socket connect/sendto, name look-ups, urllib and http.client
requests) in the file named by ROPA_NET_AUDIT, one line each. Used by the tests that start the explorer."""
import ipaddress
import os
import sys

_LOG = os.environ.get("ROPA_NET_AUDIT")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _is_local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).strip("[]").split("%")[0]
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name other than localhost: looking it up may leave the machine
    return ip.is_loopback or ip.is_unspecified


def _address_host(address):
    # AF_INET / AF_INET6 addresses are tuples; AF_UNIX ones are paths (always local)
    return address[0] if isinstance(address, tuple) and address else None


def _hook(event, args):
    try:
        host = None
        if event in ("socket.connect", "socket.sendto"):
            host = _address_host(args[1])
        elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
                       "socket.gethostbyaddr", "http.client.connect"):
            host = args[0] if event != "http.client.connect" else args[1]
        elif event == "urllib.Request":
            from urllib.parse import urlsplit
            host = urlsplit(args[0]).hostname
        else:
            return
        if not _is_local(host):
            with open(_LOG, "a", encoding="utf-8") as fp:
                fp.write(f"{event} {host!r} {args!r}\n")
    except Exception:  # an audit hook must never break the process it watches
        pass


if _LOG:
    sys.addaudithook(_hook)
