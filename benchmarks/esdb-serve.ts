// The in-process EventStoreDB of the tests (test/support/esdb-server.ts) as a
// process of its own, for benchmarks: it prints its connection string, then
// serves until its stdin closes. Started by startServerChild().
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Starts the server in a child process (so that it has a core of its own); stop it with child.stdin.end(). */
export async function startServerChild(): Promise<{ connectionString: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--max-old-space-size=8192', fileURLToPath(import.meta.url), '--serve'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const connectionString = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl).trim());
    });
    child.on('exit', (code) => reject(new Error(`the server process exited (${code})`)));
  });
  return { connectionString, child };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--serve')) {
  const { startEsdbServer } = await import('../test/support/esdb-server.js');
  const server = await startEsdbServer();
  process.stdout.write(`${server.connectionString}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    void server.stop().then(() => process.exit(0));
  });
}
