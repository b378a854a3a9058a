"""A slow SMTP server on a free loopback port, for tests of the real worker delivering mail.

It takes ``delay`` seconds to answer the end of each message, as a busy provider does, and
counts a message as accepted only if its sender is still connected when it answers (a sender
killed mid-delivery did not get its "250", so the message was not handed over).
"""

from __future__ import annotations

import email
import socket
import socketserver
import threading
import time
from email import policy


class SlowSMTPServer:
    def __init__(self, delay: float = 1.0) -> None:
        self.delay = delay
        self.accepted: list[str] = []  # subjects, in the order they were accepted
        self.dropped: list[str] = []  # ended while their sender was gone
        self.receiving = threading.Event()  # set once a message is being delivered
        self._lock = threading.Lock()
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())
                self.wfile.flush()

            def handle(self) -> None:
                self.reply("220 slow.test ESMTP")
                while line := self.rfile.readline():
                    command = line.decode(errors="replace").strip().upper()
                    if command.startswith(("EHLO", "HELO")):
                        self.reply("250 slow.test")
                    elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                        self.reply("250 OK")
                    elif command == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        self.data()
                    elif command == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Not implemented")

            def data(self) -> None:
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(line)
                outer.receiving.set()
                subject = str(email.message_from_bytes(b"".join(lines), policy=policy.default)["Subject"])
                time.sleep(outer.delay)
                with outer._lock:
                    if self.sender_gone():
                        outer.dropped.append(subject)
                        return
                    outer.accepted.append(subject)
                self.reply("250 OK: queued")

            def sender_gone(self) -> bool:
                try:
                    return self.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
                except BlockingIOError:
                    return False
                except OSError:
                    return True

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]

    def __enter__(self) -> SlowSMTPServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
