#!/usr/bin/env python3
"""A native TLS HTTP server, a thread per connection: serves the files of
DIR at /NAME on 127.0.0.1:PORT with CERT and KEY.

https_files.py PORT DIR CERT KEY
"""
import http.server
import socketserver
import ssl
import sys
import functools

port, d, cert, key = sys.argv[1:5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128
    allow_reuse_address = True

    def get_request(self):
        sock, addr = self.socket.accept()
        return ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr


class Handler(http.server.SimpleHTTPRequestHandler):
    timeout = 10

    def setup(self):
        self.request.settimeout(10)
        self.request.do_handshake()
        super().setup()

    def log_message(self, *a):
        pass


srv = Server(("127.0.0.1", int(port)), functools.partial(Handler, directory=d))
srv.serve_forever()
