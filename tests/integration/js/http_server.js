// SPDX-License-Identifier: GPL-2.0-or-later
// A Node.js (libuv) HTTP server for node.sh: serves the files of DIR, read
// once at start, at /NAME. Plain HTTP, or with CERT and KEY node's own
// HTTPS (the control).
// Usage: node http_server.js PORT DIR [CERT KEY]
'use strict';
const fs = require('fs');
const path = require('path');
const http = require('http');
const https = require('https');

const [port, dir, cert, key] = process.argv.slice(2);
const files = new Map();
for (const name of fs.readdirSync(dir))
	files.set('/' + name, fs.readFileSync(path.join(dir, name)));

function handler(req, res) {
	const body = files.get(req.url);
	if (!body) {
		res.writeHead(404, { 'Content-Length': 0 });
		res.end();
		return;
	}
	res.writeHead(200, { 'Content-Type': 'application/octet-stream',
			     'Content-Length': body.length });
	res.end(body);
}

const server = cert
	? https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, handler)
	: http.createServer(handler);
server.keepAliveTimeout = 5000;
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
