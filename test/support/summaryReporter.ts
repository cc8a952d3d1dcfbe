import type { Reporter, TestCase, TestModule } from "vitest/node";

/**
 * Whether a test did not run because the setup around it failed: a beforeAll (or the module's own
 * code) that throws leaves its tests "skipped" and puts the error on the enclosing suite or module
 * (vitest's reported-tasks API: TestSuite.errors(), https://vitest.dev/advanced/api/test-suite#errors).
 */
function setupFailed(test: TestCase): boolean {
  for (let parent: TestCase["parent"] | undefined = test.parent; parent; parent = parent.type === "module" ? undefined : parent.parent)
    if (parent.errors().length > 0) return true;
  return false;
}

/**
 * Ends a run with one plain line, "Tests: N passed, N failed, N skipped", the closing line CI reads
 * for any test runner. A test file that failed to load counts as a failure, and so does every test
 * of a tier whose setup failed: a skip means "chose not to run", never "could not".
 */
export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = errors.length;
    let skipped = 0;
    for (const module of modules) {
      let tests = 0;
      for (const test of module.children.allTests()) {
        tests++;
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed" || setupFailed(test)) failed++;
        else skipped++;
      }
      if (tests === 0 && module.state() === "failed") failed++;
    }
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
