import cliProgress from "cli-progress";
import type { ProgressBar } from "./scenario.js";

export interface ProgressDisplay {
  bar(label: string, total: number): ProgressBar;
  /** Prints a line without tearing the bars. */
  log(line: string): void;
  stop(): void;
}

/** A live bar per variant on a terminal; when not a TTY (CI, a pipe), a plain line per quarter. */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  if (!stream.isTTY) return plainProgress(stream);
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: "  {label} [{bar}] {percentage}% {value}/{total}",
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    bar(label, total) {
      const bar = multi.create(Math.max(1, total), 0, { label: label.padEnd(28) });
      return {
        update: (done) => bar.update(Math.min(done, total)),
        done: () => {
          bar.update(total);
          bar.stop();
        },
      };
    },
    log: (line) => multi.log(`${line}\n`),
    stop: () => multi.stop(),
  };
}

function plainProgress(stream: NodeJS.WriteStream): ProgressDisplay {
  const write = (line: string) => stream.write(`${line}\n`);
  return {
    bar(label, total) {
      let shown = 0;
      return {
        update(done) {
          const quarter = Math.floor((Math.min(done, total) / Math.max(1, total)) * 4);
          if (quarter > shown && quarter < 4) {
            shown = quarter;
            write(`  ${label}: ${quarter * 25}% (${done}/${total})`);
          }
        },
        done: () => write(`  ${label}: done`),
      };
    },
    log: write,
    stop: () => {},
  };
}

/** Prints nothing: for callers that only want the results. */
export const silentProgress: ProgressDisplay = {
  bar: () => ({ update: () => {}, done: () => {} }),
  log: () => {},
  stop: () => {},
};
