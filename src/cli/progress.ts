import cliProgress from 'cli-progress';

/** A progress bar on a terminal, one line per update step elsewhere (CI logs, pipes). */
export function progressBar(label: string): {
  update(done: number, total: number, note?: string): void;
  stop(): void;
} {
  if (!process.stderr.isTTY) {
    let lastPct = -1;
    return {
      update(done, total, note) {
        const pct = total > 0 ? Math.floor((done / total) * 10) * 10 : 0;
        if (pct !== lastPct) {
          lastPct = pct;
          process.stderr.write(`${label}: ${done}/${total} (${pct}%)${note ? ` ${note}` : ''}\n`);
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% {value}/{total} {note}`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, note = '') {
      if (!started) {
        bar.start(total, done, { note });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { note });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
