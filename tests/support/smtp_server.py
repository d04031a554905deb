#!/usr/bin/python3
"""A real SMTP server for the tests (Debian's python3-aiosmtpd) on 127.0.0.1.

Each accepted message is written whole to MAILDIR/<n>.eml (written to a
temporary name, then renamed, so a reader never sees half a file), preceded by
the envelope as "X-Envelope-From:" / "X-Envelope-To:" lines. Recipients whose
local part starts with "reject" get 550, with "later" 451. With --auth
USER:PASSWORD, AUTH PLAIN/LOGIN is required (over plain text, as loopback
tests allow). The chosen port is written to PORT_FILE once the server
accepts connections; SIGTERM stops it.

    smtp_server.py MAILDIR PORT_FILE [--auth USER:PASSWORD]
"""
import os
import signal
import socket
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Handler:
    def __init__(self, maildir):
        self.maildir = maildir
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: no such user here" % address
        if local.startswith("later"):
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        head = "X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n" % (
            envelope.mail_from, ", ".join(envelope.rcpt_tos))
        path = os.path.join(self.maildir, "%06d.eml" % n)
        with open(path + ".tmp", "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 Message accepted for delivery"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    maildir, port_file = sys.argv[1], sys.argv[2]
    auth = None
    if len(sys.argv) > 4 and sys.argv[3] == "--auth":
        auth = sys.argv[4].encode()
    os.makedirs(maildir, exist_ok=True)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login + b":" + auth_data.password == auth
        # handled=False: aiosmtpd then answers a failure with 535 itself.
        return AuthResult(success=ok, handled=False)

    kwargs = {}
    if auth is not None:
        kwargs = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    port = free_port()
    controller = Controller(Handler(maildir), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    with open(port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(port_file + ".tmp", port_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
