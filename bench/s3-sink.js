#!/usr/bin/env node
// A minimal S3 endpoint for measuring what S3 clients themselves cost, not
// a store. Uploads (PUT, multipart) are read to the end and forgotten;
// downloads (ListObjectsV2, HEAD, GET with Range) are served from files
// under one directory, a key naming the file at DIR/KEY. It checks no
// signature and keeps nothing, so per byte it does only the socket work any
// server must do: what is left of a transfer's time is the client's.
//
//   node s3-sink.js --dir DIR --bucket NAME [--port N]
//
// Prints "s3-sink listening on 127.0.0.1:PORT" once it accepts requests.
// Used by bench/run; not a test double (the tests use s3rver).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const root = path.resolve(arg('dir', '.'));
const bucket = arg('bucket', 'bench');
const port = Number(arg('port', '0'));

function xmlEscape(s) {
  return String(s).replace(/[<>&'"]/g, (c) => ({
    '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;',
  })[c]);
}

// The file a key names, or null when the key would leave root.
function fileOf(key) {
  const p = path.resolve(root, key);
  return p.startsWith(root + path.sep) ? p : null;
}

// A stable ETag for a served file: its size and modification time.
function etagOf(st) {
  return '"' + crypto.createHash('md5').update(st.size + ':' + st.mtimeMs).digest('hex') + '"';
}

function keysUnder(prefix) {
  const out = [];
  const walk = (dir, rel) => {
    let ents;
    try {
      ents = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      return;
    }
    for (const e of ents) {
      const k = rel ? rel + '/' + e.name : e.name;
      if (e.isDirectory()) walk(path.join(dir, e.name), k);
      else if (e.isFile() && k.startsWith(prefix)) out.push(k);
    }
  };
  walk(root, '');
  return out.sort();
}

function reply(res, status, body, headers) {
  res.writeHead(status, Object.assign({ 'Content-Length': Buffer.byteLength(body || '') },
    headers || {}));
  res.end(body || '');
}

function xmlReply(res, body) {
  reply(res, 200, '<?xml version="1.0" encoding="UTF-8"?>\n' + body,
    { 'Content-Type': 'application/xml' });
}

function notFound(res, key) {
  xmlReply404(res, '<Error><Code>NoSuchKey</Code><Message>The specified key does not ' +
    'exist.</Message><Key>' + xmlEscape(key) + '</Key></Error>');
}

function xmlReply404(res, body) {
  reply(res, 404, '<?xml version="1.0" encoding="UTF-8"?>\n' + body,
    { 'Content-Type': 'application/xml' });
}

function list(res, q) {
  const prefix = q.get('prefix') || '';
  const contents = keysUnder(prefix).map((k) => {
    const st = fs.statSync(path.join(root, k));
    return '<Contents><Key>' + xmlEscape(k) + '</Key><LastModified>' +
      st.mtime.toISOString() + '</LastModified><ETag>' + xmlEscape(etagOf(st)) +
      '</ETag><Size>' + st.size + '</Size><StorageClass>STANDARD</StorageClass></Contents>';
  });
  xmlReply(res, '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>' +
    xmlEscape(bucket) + '</Name><Prefix>' + xmlEscape(prefix) + '</Prefix><KeyCount>' +
    contents.length + '</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>' +
    contents.join('') + '</ListBucketResult>');
}

function serve(req, res, key) {
  const file = fileOf(key);
  let st;
  try {
    st = file && fs.statSync(file);
  } catch (e) {
    st = null;
  }
  if (!st || !st.isFile()) {
    if (req.method === 'HEAD') return reply(res, 404, '');
    return notFound(res, key);
  }
  const headers = {
    'ETag': etagOf(st), 'Last-Modified': st.mtime.toUTCString(),
    'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes',
  };
  let start = 0;
  let end = st.size - 1;
  let status = 200;
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
  if (m) {
    start = Number(m[1]);
    if (m[2] !== '') end = Math.min(Number(m[2]), st.size - 1);
    status = 206;
    headers['Content-Range'] = 'bytes ' + start + '-' + end + '/' + st.size;
  }
  headers['Content-Length'] = end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || end < start) return res.end();
  fs.createReadStream(file, { start, end, highWaterMark: 1024 * 1024 }).pipe(res);
}

// Read a request body to its end and forget it.
function drain(req, done) {
  req.on('data', () => {});
  req.on('end', done);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://sink');
  const parts = url.pathname.split('/');
  const key = decodeURIComponent(parts.slice(2).join('/'));
  const q = url.searchParams;

  if (decodeURIComponent(parts[1] || '') !== bucket) {
    return drain(req, () => xmlReply404(res, '<Error><Code>NoSuchBucket</Code></Error>'));
  }
  if (req.method === 'GET' && key === '') return drain(req, () => list(res, q));
  if (req.method === 'GET' || req.method === 'HEAD') return drain(req, () => serve(req, res, key));
  if (req.method === 'PUT') {
    return drain(req, () => reply(res, 200, '',
      { 'ETag': '"' + crypto.randomBytes(16).toString('hex') + '"' }));
  }
  if (req.method === 'POST' && q.has('uploads')) {
    return drain(req, () => xmlReply(res, '<InitiateMultipartUploadResult><Bucket>' +
      xmlEscape(bucket) + '</Bucket><Key>' + xmlEscape(key) + '</Key><UploadId>' +
      crypto.randomBytes(12).toString('hex') + '</UploadId></InitiateMultipartUploadResult>'));
  }
  if (req.method === 'POST' && q.has('uploadId')) {
    return drain(req, () => xmlReply(res, '<CompleteMultipartUploadResult><Bucket>' +
      xmlEscape(bucket) + '</Bucket><Key>' + xmlEscape(key) + '</Key><ETag>"' +
      crypto.randomBytes(16).toString('hex') + '-1"</ETag></CompleteMultipartUploadResult>'));
  }
  if (req.method === 'DELETE') return drain(req, () => reply(res, 204, ''));
  return drain(req, () => reply(res, 501, ''));
});
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write('s3-sink listening on 127.0.0.1:' + server.address().port + '\n');
});
