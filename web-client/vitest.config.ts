import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files run in parallel: each integration or browser test file starts its own engine on its
    // own free port and data folder, so they share nothing.
    fileParallelism: true,
  },
});
