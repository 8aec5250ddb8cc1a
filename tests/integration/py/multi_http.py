# SPDX-License-Identifier: GPL-2.0-or-later
# One process serving the current directory over HTTP on several ports of
# 127.0.0.1 (one thread each): several descriptors of one process.
# Usage: multi_http.py PORT...
import http.server
import sys
import threading

servers = [http.server.ThreadingHTTPServer(("127.0.0.1", int(p)),
                                           http.server.SimpleHTTPRequestHandler)
           for p in sys.argv[1:]]
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
servers[0].serve_forever()
