/**
 * Progress lines for the bench go to stderr so that stdout carries only the markdown report
 * (`npm run bench -- --quick > table.md` stays clean).
 */
export function note(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** A loud, multi-line warning for things the reader must not miss (a skipped path, a missing tool). */
export function shout(msg: string): void {
  process.stderr.write(`\n*** BENCH: ${msg}\n\n`);
}
