// Not the engine: a Node `ws` broadcast hub with the engine's wire shape, a peer for LoadRun
// (`LoadRun --spawn --server ws`). The usual ws broadcast: one frame text built per change and
// `send` to every open socket. No snapshot content, no history, no back-pressure.
//
//   node benchmarks/ws-hub/hub.js --port 0      (prints "listening on http://127.0.0.1:PORT")
'use strict';
const http = require('node:http');
const { WebSocketServer } = require('ws');

let port = 0;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--port') port = Number(args[++i]);
  // the engine's other flags (--data, --collection...) are accepted and ignored, as BroadcastProto does
}

const MAX_BODY = 64 * 1024;
let seq = 0;
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

const server = http.createServer((req, res) => {
  if (req.method === 'PUT' && req.url.startsWith('/api/collections/')) {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        res.writeHead(413, { 'Content-Type': 'application/json' });
        res.end('{"error":{"code":"body_too_large","message":"at most 65536 bytes"}}');
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return;
      const id = req.url.substring(req.url.lastIndexOf('/') + 1);
      const s = ++seq;
      // one Buffer per change, the same bytes to every socket
      const frame = Buffer.from('{"JsonPatch":[{"op":"add","path":"/bench/' + id + '","value":'
        + Buffer.concat(chunks).toString('utf8') + '}],"seq":' + s + '}');
      for (const ws of wss.clients) {
        if (ws.readyState === 1) ws.send(frame, { binary: false });
      }
      res.writeHead(200, { 'Patchwire-Seq': 'hub:' + s, 'Content-Length': 0 });
      res.end();
    });
  } else if (req.method === 'GET' && req.url === '/api/stats') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"totals":{"drops":0,"resyncs":0}}');
  } else {
    res.writeHead(404, { 'Content-Length': 0 });
    res.end();
  }
});
server.keepAliveTimeout = 60000;

server.on('upgrade', (req, socket, head) => {
  if (!req.url.endsWith('/stream/ws')) {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('error', () => {});
    ws.send('{"JsonPatch":[{"op":"add","path":"/bench","value":{}}],"seq":' + seq
      + ',"epoch":"hub","snapshot":true}');
    ws.send('{"Ready":true,"epoch":"hub","seq":' + seq + ',"resumed":false}');
  });
});

server.listen(port, '127.0.0.1', () => {
  console.log('ws hub (node ' + process.version + ', ws ' + require('ws/package.json').version
    + ') listening on http://127.0.0.1:' + server.address().port);
});
process.on('SIGTERM', () => process.exit(0));
