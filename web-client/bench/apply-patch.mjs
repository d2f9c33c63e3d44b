// How long the client takes to apply changes, by the number of documents its stream holds.
//   stream: a real stream (openStream) fed text frames by an in-process socket: per live change
//     the JSON frame is parsed, decoded, applied to the document map and a new view handed to a
//     listener (which reads view.docs). And a replay of 1,000 changes before Ready, one view.
//   whole root: applyPatch of the same change on the plain `{tasks: {...}}` root (a copy of the
//     collection's map per change), which is what the stream did before it kept a DocMap.
// Run: npm run bench (builds dist/lib first). Medians of a few runs; compare within one run.
// BENCH_SIZES=100 runs one small size only (a smoke run, a second or so).
// BENCH_LIB=/path/to/dist/lib/index.js measures another build (e.g. an older commit's) the same way.
const { applyPatch, openStream } = await import(process.env.BENCH_LIB ?? '../dist/lib/index.js');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const EPOCH = 'b3b3b3b3b3b3';

function collection(n) {
  const tasks = {};
  for (let i = 0; i < n; i++) {
    tasks[`task-${i}`] = { id: `task-${i}`, project_id: 'demo', title: `Task ${i}`, status: 'todo', position: i * 1024 };
  }
  return tasks;
}

const change = (i, n) => [{ op: 'replace', path: `/tasks/task-${(i * 7919) % n}/status`, value: i % 2 ? 'done' : 'todo' }];

/** A WebSocket the bench drives by hand: the stream's only socket. */
class BenchSocket {
  static last = null;
  constructor() {
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    BenchSocket.last = this;
  }
  close() {}
  frame(obj) {
    this.onmessage({ data: typeof obj === 'string' ? obj : JSON.stringify(obj) });
  }
}

/** A ready stream over a snapshot of `docs` at seq 1; `views` counts what its listener saw. */
function readyStream(docs, beforeReady = []) {
  const stream = openStream({
    baseUrl: 'http://127.0.0.1:1',
    collection: 'tasks',
    transport: 'ws',
    WebSocket: BenchSocket,
    networkEvents: null,
  });
  const socket = BenchSocket.last;
  let seen = 0;
  // reads what a view offers without a copy: docs (a build before DocMap has only data)
  stream.subscribe((view) => {
    seen += (view.docs ? view.docs.get('task-1') : view.data['task-1']) ? 1 : 0;
  });
  socket.onopen({});
  socket.frame({ JsonPatch: [{ op: 'add', path: '/tasks', value: docs }], seq: 1, epoch: EPOCH, snapshot: true });
  for (const frame of beforeReady) socket.frame(frame);
  return { stream, socket, seen: () => seen };
}

// Warm-up, so the first size is not measured while the JIT is still compiling.
{
  const { stream, socket } = readyStream(collection(100));
  socket.frame({ Ready: true, epoch: EPOCH, seq: 1, resumed: false });
  for (let i = 0; i < 5000; i++) socket.frame({ JsonPatch: change(i, 100), seq: i + 2 });
  stream.close();
  let doc = applyPatch({}, [{ op: 'add', path: '/tasks', value: collection(100) }], { freeze: true });
  for (let i = 0; i < 5000; i++) doc = applyPatch(doc, change(i, 100), { freeze: true });
}

const sizes = process.env.BENCH_SIZES ? process.env.BENCH_SIZES.split(',').map(Number) : [100, 1000, 10000];

for (const n of sizes) {
  const docs = collection(n);
  const iterations = 2000;

  // stream: live changes
  const live = [];
  for (let run = 0; run < 5; run++) {
    const { stream, socket } = readyStream(docs);
    socket.frame({ Ready: true, epoch: EPOCH, seq: 1, resumed: false });
    const frames = Array.from({ length: iterations }, (_, i) => JSON.stringify({ JsonPatch: change(i, n), seq: i + 2 }));
    const t0 = performance.now();
    for (const f of frames) socket.frame(f);
    live.push(((performance.now() - t0) * 1000) / iterations);
    const last = stream.getView();
    if (last.position !== `${EPOCH}:${iterations + 1}` || (last.docs?.size ?? Object.keys(last.data).length) !== n) throw new Error(`stream did not apply: ${last.position}`);
    stream.close();
  }

  // stream: a replay of 1,000 changes before Ready, published as one view with the Ready
  const replay = [];
  for (let run = 0; run < 3; run++) {
    const frames = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ JsonPatch: change(i, n), seq: i + 2 }));
    const t0 = performance.now();
    const { stream, socket } = readyStream(docs, frames);
    socket.frame({ Ready: true, epoch: EPOCH, seq: 1001, resumed: true });
    replay.push(performance.now() - t0);
    stream.close();
  }
  // the snapshot alone, to take out of the replay figure
  const snap = [];
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    readyStream(docs).stream.close();
    snap.push(performance.now() - t0);
  }

  // whole root (before): applyPatch on the plain object, one copy of the map per change
  const base = applyPatch({}, [{ op: 'add', path: '/tasks', value: docs }], { freeze: true });
  const whole = [];
  const wholeIterations = n >= 10000 ? 200 : 2000;
  for (let run = 0; run < 5; run++) {
    let doc = base;
    const t0 = performance.now();
    for (let i = 0; i < wholeIterations; i++) doc = applyPatch(doc, change(i, n), { freeze: true });
    whole.push(((performance.now() - t0) * 1000) / wholeIterations);
  }

  console.log(
    `${String(n).padStart(6)} documents: stream live change ${median(live).toFixed(1)} µs ` +
      `(whole-root applyPatch ${median(whole).toFixed(1)} µs); ` +
      `stream replay of 1,000 changes ${(median(replay) - median(snap)).toFixed(1)} ms after a ${median(snap).toFixed(1)} ms snapshot`,
  );
}
