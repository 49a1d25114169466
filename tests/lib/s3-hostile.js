#!/usr/bin/env node
// A hostile S3 endpoint for the tests: it sits in front of the real chain
// (tests/lib/s3-proxy.js, which checks signatures, in front of s3rver) and
// passes every request through unchanged, except those that the mode set
// at the moment picks, which it answers the way a broken or malicious
// server would.
//
//   node s3-hostile.js --upstream http://127.0.0.1:PORT [--port-file F]
//
// Control URLs (plain GET, not signed):
//   /__hostile/mode?name=NAME[&method=M][&match=TEXT][&keys=K1,K2][&size=S]
//   /__hostile/clear           pass everything through again
//   /__hostile/log             one line per request it answered or changed:
//                              "NAME METHOD PATH?QUERY sent=BYTES"
//   /__hostile/count           the number of those lines
//   /__hostile/reset-log
// A mode applies to requests of method M (default any) whose path and query
// contain TEXT (default anything) and that are of the kind it changes:
// listings (GET with list-type=2) for the list-* modes, object GETs for
// the get-* modes, any request otherwise.
//
// Modes:
//   list-same-token   a listing page that is always truncated and always
//                     names the same continuation token
//   list-cycle        truncated pages whose tokens go round A, B, A, B...
//   list-empty-pages  truncated empty pages, each with a new token, forever
//   list-trickle      a well-formed listing sent 2 bytes a second
//   list-entity-bomb  a listing whose DOCTYPE declares nested entities that
//                     expand its one key to about 1 MB
//   list-deep         a listing with 20000 nested elements
//   list-long-key     the real listing plus a key of 2000 bytes
//   list-add-keys     the real listing plus keys (the comma-separated list
//                     keys=, URL-encoded) that S3 did not return
//   list-size         the real listing with every Size replaced by size=
//   error-trickle     a 500 whose body arrives 2 bytes a second
//   error-endless     a 503 whose body never ends, sent as fast as it goes
//                     (cut after 4 GiB)
//   error-escape      a 403 whose Code and Message hold terminal controls
//                     (CSI as U+009B, a carriage return)
//   get-endless       a 200 (206 for a ranged GET) without Content-Length
//                     whose body never ends (cut after 64 MiB)
//   get-huge-length   a 200 announcing 4300000000 bytes, then 64 MiB
'use strict';

const http = require('http');
const fs = require('fs');
const crypto = require('crypto');

let upstream = null;
let portFile = null;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
	if (argv[i] === '--upstream') upstream = new URL(argv[++i]);
	else if (argv[i] === '--port-file') portFile = argv[++i];
	else {
		process.stderr.write(`s3-hostile: unknown option ${argv[i]}\n`);
		process.exit(2);
	}
}
if (!upstream) {
	process.stderr.write('s3-hostile: --upstream is required\n');
	process.exit(2);
}

let mode = null;
const log = [];
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

function xmlEscape(s) {
	return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }[c]));
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';

function listPage(prefix, contents, truncated, token) {
	let b = XML_HEAD + '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">';
	b += `<Name>b</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${contents.length}</KeyCount>`;
	b += `<MaxKeys>1000</MaxKeys><IsTruncated>${truncated}</IsTruncated>`;
	for (const c of contents)
		b += `<Contents><Key>${xmlEscape(c.key)}</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>` +
			`<ETag>"0"</ETag><Size>${c.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
	if (token) b += `<NextContinuationToken>${xmlEscape(token)}</NextContinuationToken>`;
	return b + '</ListBucketResult>';
}

// A key that the client would accept as a file of a backup under prefix.
function plausibleKey(prefix) {
	return /\d{8}_\d{6}\/$/.test(prefix) ? `${prefix}redis.rdb` : `${prefix}20240101_000000/redis.rdb`;
}

function sendXml(res, status, body) {
	res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
	res.end(body);
	return Buffer.byteLength(body);
}

// Write chunks as fast as the socket takes them until it closes or limit.
function flood(res, chunk, limit, done) {
	let sent = 0;
	let closed = false;
	res.on('close', () => { closed = true; done(sent); });
	const pump = () => {
		while (!closed && sent < limit) {
			sent += chunk.length;
			if (!res.write(chunk)) return res.once('drain', pump);
		}
		// The limit protects the test machine; a connection cut there
		// is one more fault for the client.
		if (!closed) res.destroy();
	};
	pump();
}

// Write text 2 bytes a second until it ends or the client goes away.
function trickle(res, text, done) {
	let pos = 0;
	const t = setInterval(() => {
		if (pos >= text.length) {
			clearInterval(t);
			res.end();
			return;
		}
		res.write(text.slice(pos, pos + 2));
		pos += 2;
	}, 1000);
	res.on('close', () => { clearInterval(t); done(pos); });
}

const isListing = (req, url) => req.method === 'GET' && url.searchParams.get('list-type') === '2';

function wants(req, url) {
	if (!mode) return false;
	if (mode.method && mode.method !== req.method) return false;
	if (mode.match && !req.url.includes(mode.match)) return false;
	if (mode.name.startsWith('list-')) return isListing(req, url);
	if (mode.name.startsWith('get-'))
		return req.method === 'GET' && !url.searchParams.has('list-type') &&
			url.pathname.split('/').filter((s) => s).length >= 2;
	return true;
}

// Answer a request the mode picked; record(sent) when done. false when the
// mode is not one of these.
function hostile(req, res, url, record) {
	const prefix = url.searchParams.get('prefix') || '';
	const key = plausibleKey(prefix);
	switch (mode.name) {
	case 'list-same-token':
		return record(sendXml(res, 200, listPage(prefix, [{ key, size: 1 }], true, 'same-token')));
	case 'list-cycle': {
		const token = url.searchParams.get('continuation-token') === 'A' ? 'B' : 'A';
		return record(sendXml(res, 200, listPage(prefix, [{ key, size: 1 }], true, token)));
	}
	case 'list-empty-pages':
		return record(sendXml(res, 200, listPage(prefix, [], true, crypto.randomBytes(12).toString('hex'))));
	case 'list-trickle': {
		const body = listPage(prefix, [{ key, size: 1 }], false, null) + ' '.repeat(20000);
		res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
		return trickle(res, body, record);
	}
	case 'list-entity-bomb': {
		// Each level multiplies by 10: 10^5 x 10 bytes = 1 MB for one key.
		let dtd = '<!DOCTYPE ListBucketResult [<!ENTITY e0 "aaaaaaaaaa">';
		for (let i = 1; i <= 5; i++) dtd += `<!ENTITY e${i} "${`&e${i - 1};`.repeat(10)}">`;
		dtd += ']>';
		const body = XML_HEAD + dtd + listPage(prefix, [{ key: '@KEY@', size: 1 }], false, null)
			.slice(XML_HEAD.length).replace('@KEY@', `${xmlEscape(key)}&e5;`);
		return record(sendXml(res, 200, body));
	}
	case 'list-deep': {
		const n = 20000;
		const body = XML_HEAD + '<ListBucketResult><IsTruncated>false</IsTruncated>' +
			'<x>'.repeat(n) + '</x>'.repeat(n) + '</ListBucketResult>';
		return record(sendXml(res, 200, body));
	}
	case 'error-trickle': {
		const body = XML_HEAD + '<Error><Code>InternalError</Code><Message>' + 'slow '.repeat(2000) +
			'</Message></Error>';
		res.writeHead(500, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
		return trickle(res, body, record);
	}
	case 'error-endless':
		res.writeHead(503, { 'Content-Type': 'application/xml' });
		res.write(XML_HEAD + '<Error><Code>SlowDown</Code><Message>');
		return flood(res, Buffer.alloc(64 * 1024, 'x'), 4 * GIB, record);
	case 'error-escape':
		// XML 1.0 allows no C0 control but TAB, LF and CR; it allows the
		// C1 controls, which some terminals obey (U+009B is CSI).
		return record(sendXml(res, 403, XML_HEAD + '<Error><Code>Access\u009b2JDenied</Code>' +
			'<Message>denied&#13;over \u009b31mred\u009b0m</Message><RequestId>1</RequestId></Error>'));
	case 'get-endless': {
		const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range || '');
		const h = { 'Content-Type': 'application/octet-stream' };
		if (range) h['Content-Range'] = `bytes ${range[1]}-${range[2]}/*`;
		res.writeHead(range ? 206 : 200, h);
		return flood(res, crypto.randomBytes(256 * 1024), 64 * MIB, record);
	}
	case 'get-huge-length':
		res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': '4300000000' });
		return flood(res, crypto.randomBytes(256 * 1024), 64 * MIB, record);
	default:
		return false;
	}
}

// Listing modes that change the real answer rather than replace it.
function rewriteListing(body) {
	let text = body.toString('utf8');
	const extra = [];
	if (mode.name === 'list-long-key') extra.push({ key: 'k'.repeat(2000), size: 1 });
	if (mode.name === 'list-add-keys')
		for (const k of (mode.keys || '').split(',').filter((s) => s)) extra.push({ key: k, size: 1 });
	if (mode.name === 'list-size') text = text.replace(/<Size>[^<]*<\/Size>/g, `<Size>${xmlEscape(mode.size)}</Size>`);
	if (extra.length) {
		const add = extra.map((c) => `<Contents><Key>${xmlEscape(c.key)}</Key>` +
			`<LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>"0"</ETag><Size>${c.size}</Size>` +
			'<StorageClass>STANDARD</StorageClass></Contents>').join('');
		const at = text.indexOf('<IsTruncated>');
		text = at < 0 ? text : text.slice(0, at) + add + text.slice(at);
	}
	return Buffer.from(text, 'utf8');
}

const REWRITES = ['list-long-key', 'list-add-keys', 'list-size'];

function forward(req, res, body, rewrite, done) {
	const headers = {};
	for (let i = 0; i < req.rawHeaders.length; i += 2)
		headers[req.rawHeaders[i]] = req.rawHeaders[i + 1];
	const up = http.request({
		host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers,
	}, (ur) => {
		const chunks = [];
		ur.on('data', (c) => chunks.push(c));
		ur.on('end', () => {
			let data = Buffer.concat(chunks);
			if (rewrite && ur.statusCode === 200) data = rewriteListing(data);
			const h = { ...ur.headers };
			delete h['transfer-encoding'];
			if (req.method !== 'HEAD') h['content-length'] = data.length;
			res.writeHead(ur.statusCode, h);
			res.end(req.method === 'HEAD' ? undefined : data);
			done(data.length);
		});
	});
	up.on('error', (e) => done(sendXml(res, 502, XML_HEAD + `<Error><Code>BadGateway</Code><Message>${xmlEscape(e.message)}</Message></Error>`)));
	up.end(body);
}

function control(res, url) {
	const text = (s) => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end(s); };
	const p = url.searchParams;
	switch (url.pathname) {
	case '/__hostile/mode':
		mode = { name: p.get('name'), method: p.get('method'), match: p.get('match'),
			keys: p.get('keys'), size: p.get('size') };
		return text('ok\n');
	case '/__hostile/clear':
		mode = null;
		return text('ok\n');
	case '/__hostile/log':
		return text(log.map((l) => l + '\n').join(''));
	case '/__hostile/count':
		return text(`${log.length}\n`);
	case '/__hostile/reset-log':
		log.length = 0;
		return text('ok\n');
	default:
		res.writeHead(404);
		return res.end();
	}
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const url = new URL(req.url, 'http://hostile');
		if (url.pathname.startsWith('/__hostile/')) return control(res, url);
		const body = Buffer.concat(chunks);
		if (!wants(req, url)) return forward(req, res, body, false, () => {});
		const name = mode.name;
		const record = (sent) => log.push(`${name} ${req.method} ${req.url} sent=${sent}`);
		if (REWRITES.includes(name)) return forward(req, res, body, true, record);
		if (hostile(req, res, url, record) === false) forward(req, res, body, false, () => {});
	});
});

server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => {
	const port = server.address().port;
	if (portFile) fs.writeFileSync(portFile, `${port}\n`);
	process.stdout.write(`s3-hostile listening on 127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
