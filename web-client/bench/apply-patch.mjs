// How long the client takes to apply changes, by the number of documents its stream holds:
// one live change (a new view each), and a replay of 1,000 changes batched into one view.
// Run: npm run bench (builds dist/lib first). Medians of a few runs; compare within one run.
import { applyPatch } from '../dist/lib/index.js';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function collection(n) {
  const tasks = {};
  for (let i = 0; i < n; i++) {
    tasks[`task-${i}`] = { id: `task-${i}`, project_id: 'demo', title: `Task ${i}`, status: 'todo', position: i * 1024 };
  }
  return applyPatch({}, [{ op: 'add', path: '/tasks', value: tasks }], { freeze: true });
}

const change = (i, n) => [{ op: 'replace', path: `/tasks/task-${(i * 7919) % n}/status`, value: i % 2 ? 'done' : 'todo' }];

for (const n of [100, 1000, 10000]) {
  const base = collection(n);
  const iterations = n >= 10000 ? 200 : 2000;
  const live = [];
  for (let run = 0; run < 5; run++) {
    let doc = base;
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) doc = applyPatch(doc, change(i, n), { freeze: true });
    live.push(((performance.now() - t0) * 1000) / iterations);
  }
  const perChange = [];
  const batched = [];
  for (let run = 0; run < 3; run++) {
    let doc = base;
    let t0 = performance.now();
    for (let i = 0; i < 1000; i++) doc = applyPatch(doc, change(i, n), { freeze: true });
    perChange.push(performance.now() - t0);
    const owned = new WeakSet();
    doc = base;
    t0 = performance.now();
    for (let i = 0; i < 1000; i++) doc = applyPatch(doc, change(i, n), { owned });
    applyPatch(doc, [], { freeze: true });
    batched.push(performance.now() - t0);
  }
  console.log(
    `${String(n).padStart(6)} documents: live change ${median(live).toFixed(1)} µs; ` +
      `replay of 1,000 changes ${median(perChange).toFixed(1)} ms one view each, ${median(batched).toFixed(1)} ms batched`,
  );
}
