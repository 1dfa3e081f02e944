#!/usr/bin/env python3
"""HTTP server for tests/unit/test_fetch.c.

usage: httpd.py ROOT REQUEST_LOG

Binds 127.0.0.1 on a free port and prints the port on stdout. Serves ROOT
as static files (a missing file is a 404), plus misbehaving paths:
  /cut/NAME       announces the full length of ROOT/NAME, sends half, closes
  /stall/NAME     announces the full length, sends a little, then stalls
  /slow/NAME      sends ROOT/NAME in small pieces over about a second
  /redirect/PATH  302 to /PATH
Every request path is appended to REQUEST_LOG, one per line.
"""

import http.server
import os
import sys
import time


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def _record(self):
        with open(self.server.request_log, "a") as f:
            f.write(self.path + "\n")

    def _file(self, prefix):
        name = self.path[len(prefix):]
        with open(os.path.join(self.server.root, name), "rb") as f:
            return f.read()

    def _head(self, length):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def do_GET(self):
        self._record()
        try:
            if self.path.startswith("/cut/"):
                data = self._file("/cut/")
                self._head(len(data))
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if self.path.startswith("/stall/"):
                data = self._file("/stall/")
                self._head(len(data))
                self.wfile.write(data[:100])
                self.wfile.flush()
                time.sleep(30)
                return
            if self.path.startswith("/slow/"):
                data = self._file("/slow/")
                self._head(len(data))
                step = max(1, len(data) // 20)
                for i in range(0, len(data), step):
                    self.wfile.write(data[i : i + step])
                    self.wfile.flush()
                    time.sleep(0.05)
                return
        except FileNotFoundError:
            self.send_error(404)
            return
        except (BrokenPipeError, ConnectionResetError):
            return
        if self.path.startswith("/redirect/"):
            self.send_response(302)
            self.send_header("Location", self.path[len("/redirect") :])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


def main():
    root, request_log = sys.argv[1], sys.argv[2]
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0),
        lambda *a, **k: Handler(*a, directory=root, **k),
    )
    server.daemon_threads = True
    server.root = root
    server.request_log = request_log
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
