/**
 * `dqm-export histograms list --all | head` : once `head` has read enough it closes the pipe, and
 * the next write to stdout fails with EPIPE. Without a handler Node prints an "Unhandled 'error'
 * event" stack trace; a command-line tool should stop quietly instead, as `cat` or `grep` do.
 */

let installed = false;

/**
 * Makes an EPIPE on stdout end the process quietly with the exit code so far (0 unless a failure
 * was already recorded). Installed once per process; other stdout errors are left to Node.
 */
export function stopQuietlyWhenStdoutCloses(): void {
  if (installed) return;
  installed = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    // The reader is gone: nothing more can be delivered, and nothing is left to clean up but
    // sockets, which the OS closes. exitCode, not a stack trace.
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}
