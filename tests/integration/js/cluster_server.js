// SPDX-License-Identifier: GPL-2.0-or-later
// A Node.js cluster HTTP server for fd_travel.sh: the primary accepts each
// connection and hands it to a worker over its IPC channel (SCM_RIGHTS),
// round robin, Node's default on Linux. The reply names the worker.
// On SIGTERM the primary ends its workers, then itself.
// Usage: node cluster_server.js PORT WORKERS
'use strict';
const cluster = require('cluster');
const http = require('http');

const [port, workers] = process.argv.slice(2);
if (cluster.isPrimary) {
	cluster.schedulingPolicy = cluster.SCHED_RR;
	for (let i = 0; i < Number(workers); i++)
		cluster.fork();
	let listening = 0;
	cluster.on('listening', () => {
		if (++listening === Number(workers))
			console.log('primary ' + process.pid + ': ' + workers + ' workers listening');
	});
	process.on('SIGTERM', () => {
		for (const id in cluster.workers)
			cluster.workers[id].process.kill('SIGTERM');
		process.exit(0);
	});
} else {
	http.createServer((req, res) => {
		const body = 'cluster worker ' + process.pid + ' got: ' + req.method + ' ' +
			     req.url + '\n';
		res.writeHead(200, { 'Content-Length': body.length });
		res.end(body);
	}).listen(Number(port), '127.0.0.1');
}
