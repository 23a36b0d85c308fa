#!/usr/bin/python3
# smtp_sink.py — a real SMTP server for tests (Debian's python3-aiosmtpd): stores every message
# it accepts as DIR/NNNN.eml (envelope in DIR/NNNN.json) and writes its port to PORTFILE.
# Usage: /usr/bin/python3 smtp_sink.py DIR PORTFILE [--fail-first N]
#   --fail-first N  answer the first N messages with "451 try again later" (a temporary error)
import asyncio, json, os, signal, socket, sys
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
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK stored"


def main():
    folder, portfile = sys.argv[1], sys.argv[2]
    fail_first = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--fail-first" else 0
    os.makedirs(folder, exist_ok=True)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ctl = Controller(Sink(folder, fail_first), hostname="127.0.0.1", port=port)
    ctl.start()
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(portfile + ".tmp", portfile)
    done = []
    signal.signal(signal.SIGTERM, lambda *a: done.append(1))
    signal.signal(signal.SIGINT, lambda *a: done.append(1))
    while not done:
        signal.pause()
    ctl.stop()


if __name__ == "__main__":
    main()
