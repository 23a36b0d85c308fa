#!/usr/bin/python3
# smtp_sink.py — a real SMTP server for tests (Debian's python3-aiosmtpd): stores every message
# it accepts as DIR/NNNN.eml (envelope in DIR/NNNN.json) and writes its port to PORTFILE.
# Usage: /usr/bin/python3 smtp_sink.py DIR PORTFILE [--fail-first N] [--tls CERT KEY]
#                                                    [--auth USER PASSWORD]
#   --fail-first N  answer the first N messages with "451 try again later" (a temporary error)
#   --tls CERT KEY  offer STARTTLS and require it before MAIL
#   --auth U P      require AUTH (PLAIN/LOGIN) with these credentials (only after STARTTLS)
import argparse, json, os, signal, socket, ssl
from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder, fail_first):
        self.folder, self.fail_left, self.n = folder, fail_first, 0

    async def handle_DATA(self, server, session, envelope):
        if self.fail_left > 0:
            self.fail_left -= 1
            return "451 4.3.0 try again later"
        self.n += 1
        base = os.path.join(self.folder, "%04d" % self.n)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "tls": session.ssl is not None}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK stored"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("portfile")
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--auth", nargs=2, metavar=("USER", "PASSWORD"))
    a = ap.parse_args()
    os.makedirs(a.folder, exist_ok=True)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    kw = {}
    if a.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        kw.update(tls_context=ctx, require_starttls=True)
    if a.auth:
        user, pw = a.auth[0].encode(), a.auth[1].encode()
        kw.update(auth_required=True,
                  auth_callback=lambda mech, login, password: login == user and password == pw)
    ctl = Controller(Sink(a.folder, a.fail_first), hostname="127.0.0.1", port=port, **kw)
    ctl.start()
    with open(a.portfile + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(a.portfile + ".tmp", a.portfile)
    done = []
    signal.signal(signal.SIGTERM, lambda *x: done.append(1))
    signal.signal(signal.SIGINT, lambda *x: done.append(1))
    while not done:
        signal.pause()
    ctl.stop()


if __name__ == "__main__":
    main()
