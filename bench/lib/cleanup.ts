// Every process the benchmark starts is stopped by its pid when the run ends: normally, on an
// error, or on Ctrl-C. Sources register a function that lists their live pids.

type PidSource = () => readonly number[];

const sources = new Set<PidSource>();
let installed = false;

function killAll(): void {
  for (const source of sources) {
    for (const pid of source()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

/** Kills the pids `source` lists if this process exits or is interrupted before they are stopped. */
export function killOnExit(source: PidSource): () => void {
  sources.add(source);
  if (!installed) {
    installed = true;
    process.on('exit', killAll);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => {
        console.error(`\n${signal}: stopping the benchmark's processes`);
        killAll();
        process.exit(130);
      });
    }
  }
  return () => sources.delete(source);
}
