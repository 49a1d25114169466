#!/usr/bin/env node
// A stand-in for the EC2 instance metadata service (IMDSv2) on a loopback
// port, for tests of the instance-role credentials: nothing real exists on a
// test machine. It insists on the IMDSv2 token dance like EC2 does.
//
//   node s3-imds.js --port-file F --role NAME --key ID:SECRET [--token T]
//       [--expires-in SECONDS]
// GET /__log lists the requests it saw, one "METHOD PATH" per line.
'use strict';

const http = require('http');
const crypto = require('crypto');
const fs = require('fs');

const o = { role: 'vsbackup-role', expiresIn: 6 * 3600, token: 'session-token-from-imds' };
const a = process.argv.slice(2);
for (let i = 0; i < a.length; i += 2) {
	if (a[i] === '--port-file') o.portFile = a[i + 1];
	else if (a[i] === '--role') o.role = a[i + 1];
	else if (a[i] === '--key') [o.id, o.secret] = a[i + 1].split(':');
	else if (a[i] === '--token') o.token = a[i + 1];
	else if (a[i] === '--expires-in') o.expiresIn = Number(a[i + 1]);
	else { process.stderr.write(`s3-imds: unknown option ${a[i]}\n`); process.exit(2); }
}
const tokens = new Set();
const log = [];

http.createServer((req, res) => {
	log.push(`${req.method} ${req.url}`);
	const reply = (status, body, type = 'text/plain') => {
		res.writeHead(status, { 'Content-Type': type });
		res.end(body);
	};
	if (req.url === '/__log') return reply(200, log.map((l) => l + '\n').join(''));
	if (req.url === '/latest/api/token') {
		if (req.method !== 'PUT' || !req.headers['x-aws-ec2-metadata-token-ttl-seconds'])
			return reply(400, 'bad token request');
		const t = crypto.randomBytes(16).toString('hex');
		tokens.add(t);
		return reply(200, t);
	}
	// IMDSv2: everything else needs a token.
	if (!tokens.has(req.headers['x-aws-ec2-metadata-token'])) return reply(401, 'Unauthorized');
	const base = '/latest/meta-data/iam/security-credentials/';
	if (req.url === base) return reply(200, `${o.role}\n`);
	if (req.url === base + o.role) {
		const exp = new Date(Date.now() + o.expiresIn * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
		return reply(200, JSON.stringify({
			Code: 'Success', LastUpdated: new Date().toISOString(), Type: 'AWS-HMAC',
			AccessKeyId: o.id, SecretAccessKey: o.secret, Token: o.token, Expiration: exp,
		}, null, 2), 'application/json');
	}
	reply(404, 'Not Found');
}).listen(0, '127.0.0.1', function () {
	fs.writeFileSync(o.portFile, `${this.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
