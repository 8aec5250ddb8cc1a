// SPDX-License-Identifier: GPL-2.0-or-later
// A Node.js (libuv) HTTP client for node.sh: N GETs of the files of DIR
// (in turn) from 127.0.0.1:PORT, CONC at a time, each on a new connection
// (an agent with keepAlive off), every body checked against the file by
// SHA-256. SCHEME is http (the TLS is attls's) or https with CA (node's
// own TLS, the control). Prints "requests N ok N failed N" and the first
// errors; exits 1 unless every request got its file intact.
// Usage: node http_client.js SCHEME PORT DIR N CONC [CA]
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const http = require('http');
const https = require('https');

const [scheme, port, dir, nArg, concArg, ca] = process.argv.slice(2);
const n = Number(nArg), conc = Number(concArg);
const names = fs.readdirSync(dir).sort();
const sums = new Map(names.map((f) => [f,
	crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')]));
const mod = scheme === 'https' ? https : http;
const agent = new mod.Agent({ keepAlive: false, maxSockets: conc });
const opts = { host: '127.0.0.1', port: Number(port), agent, timeout: 10000 };
if (scheme === 'https') {
	opts.ca = fs.readFileSync(ca);
	opts.servername = 'localhost';
}

let next = 0, ok = 0, failed = 0;
const errors = [];
function note(i, what) {
	failed++;
	if (errors.length < 5)
		errors.push(`request ${i}: ${what}`);
}

function one(i) {
	return new Promise((resolve) => {
		const name = names[i % names.length];
		const req = mod.get({ ...opts, path: '/' + name }, (res) => {
			const h = crypto.createHash('sha256');
			let len = 0;
			res.on('data', (d) => { h.update(d); len += d.length; });
			res.on('end', () => {
				if (res.statusCode !== 200)
					note(i, `status ${res.statusCode}`);
				else if (h.digest('hex') !== sums.get(name))
					note(i, `${name}: body differs (${len} bytes)`);
				else
					ok++;
				resolve();
			});
			res.on('error', (e) => { note(i, `${name}: ${e.code || e.message}`); resolve(); });
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', (e) => { note(i, `${name}: ${e.code || e.message}`); resolve(); });
	});
}

async function worker() {
	while (next < n)
		await one(next++);
}

Promise.all(Array.from({ length: conc }, worker)).then(() => {
	console.log(`requests ${n} ok ${ok} failed ${failed}`);
	for (const e of errors)
		console.log(`  ${e}`);
	process.exit(ok === n ? 0 : 1);
});
