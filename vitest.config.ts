import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Real etcd and nginx tests start processes in network namespaces; give them room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The real-component suites share ports and namespaces per file; run files one at a time.
    fileParallelism: false,
    // The last line of every run is "Tests: N passed, N failed, N skipped", which CI reads.
    reporters: ["default", "./test/support/summaryReporter.ts"],
  },
});
