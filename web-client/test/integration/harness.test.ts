/**
 * The harness itself: a restart on the same port and data dir keeps the data and the epoch;
 * SIGTERM and SIGKILL both end the process.
 */
import { describe, expect, it } from 'vitest';
import { getJson, startEngine } from '../support/engine';

describe('engine harness', () => {
  it('restarts on the same port with the same data after SIGTERM and SIGKILL', async () => {
    const engine = await startEngine({ seed: false });
    try {
      const port = engine.port;
      const epoch = engine.epoch;
      expect(epoch).toMatch(/^[0-9a-f]+$/);
      const put = await fetch(`${engine.baseUrl}/api/collections/tasks/docs/h1`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ project_id: 'p', title: 'survives' }),
      });
      expect(put.status).toBe(201);

      await engine.stop();
      expect(engine.running).toBe(false);
      await expect(fetch(`${engine.baseUrl}/health`)).rejects.toThrow();
      await engine.start();
      expect(engine.port).toBe(port);
      expect(engine.epoch).toBe(epoch);
      expect((await getJson<{ title: string }>(engine, '/api/collections/tasks/docs/h1')).body.title).toBe('survives');

      await engine.kill();
      expect(engine.running).toBe(false);
      await engine.start();
      expect(engine.port).toBe(port);
      expect(engine.epoch).toBe(epoch);
      const all = await getJson<{ tasks: Record<string, unknown> }>(engine, '/api/collections/tasks/docs');
      expect(Object.keys(all.body.tasks)).toEqual(['h1']);
    } finally {
      await engine.dispose();
    }
  });
});
