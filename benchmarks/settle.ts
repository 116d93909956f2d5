// Benchmarks that time CPU in the process that prepared the work: a settled heap
// first, so that the garbage of the preparation is not charged to what is timed.

/**
 * Two full collections (node must run with --expose-gc), and a moment for the
 * collector's helper threads to finish: their CPU counts in process.cpuUsage.
 */
export async function settle(pauseMs = 250): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('this measurement needs node --expose-gc');
  gc();
  gc();
  await new Promise((r) => setTimeout(r, pauseMs));
}
