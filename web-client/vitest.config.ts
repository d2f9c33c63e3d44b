import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration and browser tests each start their own engine; keep them one file at a time.
    fileParallelism: true,
  },
});
