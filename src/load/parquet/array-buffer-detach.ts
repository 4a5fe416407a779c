/**
 * V8 compiles typed-array code on the promise that no ArrayBuffer of the thread (the isolate) has
 * ever been detached, and discards all such code the first time one is: a "protector". Transferring
 * a buffer through `postMessage` detaches it, so the first batch sent to the encoder worker (and the
 * first buffer the worker hands back) threw away the optimised code of every typed-array function
 * already hot: the page decoder's number parser, the transform's column builders, the writer's
 * statistics; TurboFan then compiled them again (`--trace-deopt`: "code dependencies", five to six
 * functions per thread in a 20,000-record `run`).
 *
 * Detaching one empty buffer before that code exists settles it once, at no cost: the code compiled
 * afterwards already checks for detached buffers, and nothing is thrown away later.
 */

let settled = false;

/** Detaches an empty ArrayBuffer once per thread (see above); call it before the hot loops start. */
export function settleArrayBufferDetaching(): void {
  if (settled) return;
  settled = true;
  const buffer = new ArrayBuffer(0);
  structuredClone(buffer, { transfer: [buffer] });
}
