#!/usr/bin/env node
// An HTTP proxy in front of s3rver that checks AWS Signature Version 4 the
// way S3 does (s3rver checks none of it), and injects faults on demand.
//
//   node s3-proxy.js --upstream http://127.0.0.1:PORT [--port N] [--port-file F]
//       [--key ID:SECRET]... [--region us-east-1] [--require-sse] [--fault SPEC]
//       [--upstream-key-id ID]
//
// Every request is checked: the canonical request is rebuilt from what
// arrives (path and query decoded and re-encoded per RFC 3986, query sorted,
// the signed headers' values trimmed) and signed with the secret of the
// access key named in the Authorization header; a mismatch answers 403
// SignatureDoesNotMatch in S3's XML error format. x-amz-content-sha256 must be
// present and signed, and equal the SHA-256 of the body unless it is
// UNSIGNED-PAYLOAD. With --require-sse every PutObject and
// CreateMultipartUpload must carry x-amz-server-side-encryption.
//
// s3rver cannot abort a multipart upload (405); the proxy answers a signed
// DELETE ?uploadId itself with 204 and logs it. s3rver has no UploadPartCopy
// (501): the proxy does it itself, after checking the request's signature
// like any other, by reading the source range from s3rver and storing it as
// the part, and answers S3's CopyPartResult (logged as copy-part-emulated). s3rver knows one access key
// (S3RVER) and checks only its id, so requests signed with another key are
// passed on under --upstream-key-id (default S3RVER) once verified here.
//
// Faults (--fault SPEC or GET /__proxy/fault?SPEC; SPEC is
// "type=T,nth=N,count=C,fraction=F,method=M,match=SUBSTRING" on the command
// line, the same as a query string on the control URL):
//   type     drop (close the connection without an answer), 500
//            (InternalError), 503 (SlowDown), stall (answer headers and one
//            byte, then nothing), truncate (half the real answer, then close)
//   nth      the first matching request to fail, counted from when the
//            fault was set (default 1); count how many in a row (default 1,
//            -1 for all); fraction: fail each matching request with this
//            probability instead
//   method, match   only requests with this method / whose path and query
//            contain this text count
// Control URLs: /__proxy/fault?..., /__proxy/clear, /__proxy/log (one line per
// request: "METHOD STATUS PATH?QUERY sse=VALUE fault=TYPE token=yes|-"),
// /__proxy/reset-log.
'use strict';

const http = require('http');
const crypto = require('crypto');
const fs = require('fs');

const opts = { keys: {}, region: 'us-east-1', port: 0, requireSse: false, faults: [], upstreamKeyId: 'S3RVER' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
	const a = argv[i];
	const next = () => {
		if (i + 1 >= argv.length) usage(`${a} needs a value`);
		return argv[++i];
	};
	if (a === '--upstream') opts.upstream = new URL(next());
	else if (a === '--port') opts.port = Number(next());
	else if (a === '--port-file') opts.portFile = next();
	else if (a === '--region') opts.region = next();
	else if (a === '--require-sse') opts.requireSse = true;
	else if (a === '--upstream-key-id') opts.upstreamKeyId = next();
	else if (a === '--key') {
		const v = next();
		const c = v.indexOf(':');
		if (c < 1) usage('--key wants ID:SECRET');
		opts.keys[v.slice(0, c)] = v.slice(c + 1);
	} else if (a === '--fault') opts.faults.push(parseFault(new URLSearchParams(next().replace(/,/g, '&'))));
	else usage(`unknown option ${a}`);
}
if (!opts.upstream) usage('--upstream is required');
if (Object.keys(opts.keys).length === 0) opts.keys.S3RVER = 'S3RVER';

function usage(msg) {
	process.stderr.write(`s3-proxy: ${msg}\n`);
	process.exit(2);
}

function parseFault(p) {
	const type = p.get('type');
	if (!['drop', '500', '503', 'stall', 'truncate'].includes(type))
		throw new Error(`unknown fault type ${type}`);
	return {
		type,
		nth: Number(p.get('nth') || 1),
		count: Number(p.get('count') || 1),
		fraction: p.has('fraction') ? Number(p.get('fraction')) : null,
		method: p.get('method') || null,
		match: p.get('match') || null,
		seen: 0,
	};
}

// Which fault, if any, hits this request.
function pickFault(method, url) {
	for (const f of opts.faults) {
		if (f.method && f.method !== method) continue;
		if (f.match && !url.includes(f.match)) continue;
		f.seen++;
		if (f.fraction !== null) {
			if (Math.random() < f.fraction) return f.type;
			continue;
		}
		if (f.seen >= f.nth && (f.count < 0 || f.seen < f.nth + f.count)) return f.type;
	}
	return null;
}

const log = [];

function xmlEscape(s) {
	return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }[c]));
}

function sendError(res, status, code, message, extra = {}) {
	let body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error>';
	body += `<Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>`;
	for (const [k, v] of Object.entries(extra)) body += `<${k}>${xmlEscape(v)}</${k}>`;
	body += `<RequestId>${crypto.randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`;
	res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
	res.end(body);
	return status;
}

// RFC 3986: everything but A-Z a-z 0-9 - . _ ~ is percent-encoded.
function uriEncode(s, keepSlash) {
	let out = '';
	for (const b of Buffer.from(s, 'utf8')) {
		const c = String.fromCharCode(b);
		if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
		else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
	}
	return out;
}

function decode(s) {
	return decodeURIComponent(s);
}

function canonicalQuery(raw) {
	if (!raw) return '';
	const pairs = raw.split('&').filter((p) => p.length > 0).map((p) => {
		const eq = p.indexOf('=');
		const name = eq < 0 ? p : p.slice(0, eq);
		const value = eq < 0 ? '' : p.slice(eq + 1);
		return [uriEncode(decode(name), false), uriEncode(decode(value), false)];
	});
	pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
	return pairs.map((p) => `${p[0]}=${p[1]}`).join('&');
}

function hmac(key, data) {
	return crypto.createHmac('sha256', key).update(data, 'utf8').digest();
}

// null when the signature is right, else [status, code, message, extra].
function verify(req, body) {
	const auth = req.headers.authorization;
	if (!auth) return [403, 'AccessDenied', 'Access Denied (no Authorization header)'];
	const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(auth);
	if (!m) return [400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed'];
	const [keyId, date8, region, service, term] = m[1].split('/');
	const signedNames = m[2].split(';');
	const secret = opts.keys[keyId];
	if (secret === undefined)
		return [403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'];
	if (region !== opts.region)
		return [400, 'AuthorizationHeaderMalformed', `the region '${region}' is wrong; expecting '${opts.region}'`];
	if (service !== 's3' || term !== 'aws4_request')
		return [400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed; bad credential scope'];
	const amzDate = req.headers['x-amz-date'];
	if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date8)
		return [403, 'AccessDenied', 'x-amz-date is missing or does not match the credential scope'];
	const t = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8),
		+amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
	if (Math.abs(Date.now() - t) > 15 * 60 * 1000)
		return [403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.'];
	const payload = req.headers['x-amz-content-sha256'];
	if (!payload)
		return [400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256'];
	if (!signedNames.includes('host'))
		return [403, 'AccessDenied', 'The host header must be signed'];
	for (const name of Object.keys(req.headers))
		if (name.startsWith('x-amz-') && !signedNames.includes(name))
			return [403, 'AccessDenied', `There were headers present in the request which were not signed: ${name}`];

	// The headers as they arrived, every occurrence, in order.
	const values = {};
	for (let i = 0; i < req.rawHeaders.length; i += 2) {
		const n = req.rawHeaders[i].toLowerCase();
		(values[n] = values[n] || []).push(req.rawHeaders[i + 1].trim().replace(/\s+/g, ' '));
	}
	let headerBlock = '';
	for (const n of signedNames) {
		if (!values[n]) return [403, 'AccessDenied', `signed header ${n} is missing`];
		headerBlock += `${n}:${values[n].join(',')}\n`;
	}
	const q = req.url.indexOf('?');
	const rawPath = q < 0 ? req.url : req.url.slice(0, q);
	const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
	let path, query;
	try {
		path = rawPath.split('/').map((seg) => uriEncode(decode(seg), false)).join('/');
		query = canonicalQuery(rawQuery);
	} catch (e) {
		return [400, 'InvalidURI', 'Couldn\'t parse the specified URI.'];
	}
	const canonical = [req.method, path, query, headerBlock, m[2], payload].join('\n');
	const sts = ['AWS4-HMAC-SHA256', amzDate, `${date8}/${region}/${service}/aws4_request`,
		crypto.createHash('sha256').update(canonical, 'utf8').digest('hex')].join('\n');
	let k = hmac('AWS4' + secret, date8);
	k = hmac(k, region);
	k = hmac(k, service);
	k = hmac(k, 'aws4_request');
	const want = crypto.createHmac('sha256', k).update(sts, 'utf8').digest('hex');
	if (want !== m[3])
		return [403, 'SignatureDoesNotMatch',
			'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
			{ AWSAccessKeyId: keyId, StringToSign: sts, CanonicalRequest: canonical }];
	if (payload !== 'UNSIGNED-PAYLOAD') {
		if (payload.startsWith('STREAMING-'))
			return [501, 'NotImplemented', 'aws-chunked uploads are not supported by this test proxy'];
		const got = crypto.createHash('sha256').update(body).digest('hex');
		if (got !== payload)
			return [400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.",
				{ ClientComputedContentSHA256: payload, S3ComputedContentSHA256: got }];
	}
	return null;
}

function control(req, res, url) {
	const text = (s) => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end(s); };
	try {
		if (url.pathname === '/__proxy/fault') {
			opts.faults.push(parseFault(url.searchParams));
			return text('ok\n');
		}
		if (url.pathname === '/__proxy/clear') {
			opts.faults = [];
			return text('ok\n');
		}
		if (url.pathname === '/__proxy/log')
			return text(log.map((l) => l + '\n').join(''));
		if (url.pathname === '/__proxy/reset-log') {
			log.length = 0;
			return text('ok\n');
		}
	} catch (e) {
		res.writeHead(400, { 'Content-Type': 'text/plain' });
		return res.end(`${e.message}\n`);
	}
	res.writeHead(404);
	res.end();
}

function forward(req, res, body, fault, done) {
	const headers = {};
	for (let i = 0; i < req.rawHeaders.length; i += 2)
		headers[req.rawHeaders[i]] = req.rawHeaders[i + 1];
	for (const n of Object.keys(headers))
		if (n.toLowerCase() === 'authorization')
			headers[n] = headers[n].replace(/Credential=[^/]+\//, `Credential=${opts.upstreamKeyId}/`);
	const up = http.request({
		host: opts.upstream.hostname, port: opts.upstream.port, method: req.method,
		path: req.url, headers,
	}, (ur) => {
		const chunks = [];
		ur.on('data', (c) => chunks.push(c));
		ur.on('end', () => {
			const data = Buffer.concat(chunks);
			const h = { ...ur.headers };
			delete h['transfer-encoding'];
			if (req.method !== 'HEAD') h['content-length'] = data.length;
			res.writeHead(ur.statusCode, h);
			if (fault === 'truncate' && data.length > 1) {
				res.write(data.subarray(0, data.length >> 1));
				setTimeout(() => res.socket && res.socket.destroy(), 50);
				return done(`${ur.statusCode}`);
			}
			res.end(req.method === 'HEAD' ? undefined : data);
			done(`${ur.statusCode}`);
		});
	});
	up.on('error', (e) => done(`${sendError(res, 502, 'BadGateway', `upstream: ${e.message}`)}`));
	up.end(body);
}

// One request to s3rver on the proxy's own behalf; calls back with
// (status, headers, body).
function upstream(method, path, headers, body, cb) {
	const up = http.request({ host: opts.upstream.hostname, port: opts.upstream.port, method, path,
		headers: { ...headers, 'content-length': body ? body.length : 0 } }, (ur) => {
		const chunks = [];
		ur.on('data', (c) => chunks.push(c));
		ur.on('end', () => cb(ur.statusCode, ur.headers, Buffer.concat(chunks)));
	});
	up.on('error', (e) => cb(502, {}, Buffer.from(e.message)));
	up.end(body || undefined);
}

// UploadPartCopy: the part is the source's range, read from s3rver.
function copyPart(req, res, url, record) {
	const auth = (req.headers.authorization || '').replace(/Credential=[^/]+\//, `Credential=${opts.upstreamKeyId}/`);
	const base = { authorization: auth, 'x-amz-date': req.headers['x-amz-date'],
		'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
	const src = decodeURIComponent(req.headers['x-amz-copy-source']).replace(/^\/?/, '/');
	const range = req.headers['x-amz-copy-source-range'];
	upstream('GET', src.split('/').map((s) => uriEncode(s, false)).join('/'),
		range ? { ...base, range } : base, null, (st, h, data) => {
		if (st !== 200 && st !== 206)
			return record(sendError(res, st === 404 ? 404 : 500, st === 404 ? 'NoSuchKey' : 'InternalError',
				`reading the copy source answered ${st}`), 'copy-part-emulated');
		upstream('PUT', url.pathname + url.search, base, data, (pst, ph) => {
			if (pst !== 200)
				return record(sendError(res, 500, 'InternalError', `storing the part answered ${pst}`), 'copy-part-emulated');
			const body = '<?xml version="1.0" encoding="UTF-8"?>\n<CopyPartResult>' +
				`<LastModified>${new Date().toISOString()}</LastModified><ETag>${xmlEscape(ph.etag || '')}</ETag></CopyPartResult>`;
			res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
			res.end(body);
			record('200', 'copy-part-emulated');
		});
	});
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const url = new URL(req.url, 'http://proxy');
		if (url.pathname.startsWith('/__proxy/')) return control(req, res, url);
		const body = Buffer.concat(chunks);
		const sse = req.headers['x-amz-server-side-encryption'] || '-';
		const token = req.headers['x-amz-security-token'] ? 'yes' : '-';
		const record = (status, fault) => log.push(`${req.method} ${status} ${req.url} sse=${sse} fault=${fault || '-'} token=${token}`);

		const bad = verify(req, body);
		if (bad) return record(sendError(res, bad[0], bad[1], bad[2], bad[3] || {}));
		const isUploadStart = req.method === 'POST' && url.searchParams.has('uploads');
		const isPutObject = req.method === 'PUT' && !url.searchParams.has('partNumber') &&
			url.pathname.split('/').filter((s) => s).length >= 2;
		if (opts.requireSse && (isUploadStart || isPutObject) && sse === '-')
			return record(sendError(res, 400, 'InvalidArgument', 'this test proxy requires x-amz-server-side-encryption on every upload'));

		const fault = pickFault(req.method, req.url);
		switch (fault) {
		case 'drop':
			req.socket.destroy();
			return record('dropped', fault);
		case '500':
			return record(sendError(res, 500, 'InternalError', 'We encountered an internal error. Please try again.'), fault);
		case '503':
			return record(sendError(res, 503, 'SlowDown', 'Please reduce your request rate.'), fault);
		case 'stall':
			res.writeHead(200, { 'Content-Length': 1024 * 1024, 'Content-Type': 'application/octet-stream' });
			res.write('x');
			// Nothing more until the client gives up (or a minute passes).
			setTimeout(() => res.socket && res.socket.destroy(), 60000).unref();
			return record('stalled', fault);
		default:
			break;
		}
		if (req.method === 'DELETE' && url.searchParams.has('uploadId')) {
			res.writeHead(204);
			res.end();
			return record('204', 'abort-emulated');
		}
		if (req.method === 'PUT' && url.searchParams.has('uploadId') &&
		    req.headers['x-amz-copy-source'])
			return copyPart(req, res, url, record);
		forward(req, res, body, fault, (status) => record(status, fault));
	});
});

server.keepAliveTimeout = 30000;
server.listen(opts.port, '127.0.0.1', () => {
	const port = server.address().port;
	if (opts.portFile) fs.writeFileSync(opts.portFile, `${port}\n`);
	process.stdout.write(`s3-proxy listening on 127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
