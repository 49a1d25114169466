#!/usr/bin/env node
// A pass-through HTTP proxy in front of an S3 server that counts what S3
// clients send: one line per request, "METHOD STATUS PATH BYTES" (BYTES:
// the request body as it arrived), so two clients can be compared on the
// same server by their requests and the bytes they upload. It checks no
// signature. Uploads signed in aws-chunked form (restic's, over plain
// HTTP) are counted as sent and passed on decoded, since s3rver would
// store the chunk framing as the object.
//
//   node s3-count.js --upstream http://127.0.0.1:PORT --log FILE [--port N]
//
// Prints "s3-count listening on 127.0.0.1:PORT" once it accepts requests.
// Used by bench/repo-s3-bench; not a test double.
'use strict';

const fs = require('fs');
const http = require('http');

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const upstream = new URL(arg('upstream', 'http://127.0.0.1:4568'));
const logFile = arg('log', 's3-count.log');
const port = Number(arg('port', '0'));
const agent = new http.Agent({ keepAlive: true });

// The payload of an aws-chunked body: "HEXLEN;chunk-signature=...\r\n"
// DATA "\r\n", until a chunk of length 0.
function unchunk(buf) {
  const out = [];
  let pos = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) break;
    const len = parseInt(buf.slice(pos, eol).toString().split(';')[0], 16);
    if (!(len > 0)) break;
    out.push(buf.slice(eol + 2, eol + 2 + len));
    pos = eol + 2 + len + 2;
  }
  return Buffer.concat(out);
}

const server = http.createServer((req, res) => {
  const parts = [];
  let bytes = 0;
  req.on('data', (d) => { bytes += d.length; parts.push(d); });
  req.on('end', () => {
    const headers = { ...req.headers };
    let body = Buffer.concat(parts);
    if (String(headers['x-amz-content-sha256'] || '').startsWith('STREAMING-')) {
      body = unchunk(body);
      headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      delete headers['x-amz-decoded-content-length'];
      const enc = String(headers['content-encoding'] || '').split(',')
        .map((x) => x.trim()).filter((x) => x && x !== 'aws-chunked');
      if (enc.length) headers['content-encoding'] = enc.join(',');
      else delete headers['content-encoding'];
    }
    if (body.length || headers['content-length'] !== undefined) headers['content-length'] = body.length;
    const up = http.request({
      host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
      headers, agent,
    }, (ur) => {
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
      ur.on('end', () => fs.appendFileSync(logFile,
        `${req.method} ${ur.statusCode} ${req.url.split('?')[0]} ${bytes}\n`));
    });
    up.on('error', () => { res.statusCode = 502; res.end(); });
    up.end(body);
  });
});
server.listen(port, '127.0.0.1', () => {
  console.log(`s3-count listening on 127.0.0.1:${server.address().port}`);
});
