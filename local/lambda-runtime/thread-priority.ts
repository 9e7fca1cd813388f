import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * How much lower than the rest of the local stack a function instance's thread is scheduled (a nice value).
 * In AWS each instance runs on CPU of its own and DynamoDB and KVS on machines of their own; here a hundred
 * instances share two cores with dynalite's thread and with the main thread (the API stand-in, the KVS
 * emulator). Linux shares CPU time between runnable threads evenly, so a busy fleet would starve the
 * services it calls, and a burst would measure that rather than the code: table reads timing out after 2 s
 * while dynalite waits for a core. Lowered, the instances still use every idle cycle; the services come first.
 */
export const INSTANCE_NICENESS = 10;

/**
 * Lowers the scheduling priority of the calling thread alone (Linux: `setpriority` on the thread's own id,
 * read from /proc/thread-self). Anywhere else, or when refused, nothing changes and false is returned.
 */
export function lowerThisThreadsPriority(niceness = INSTANCE_NICENESS): boolean {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(threadId) || threadId <= 0) return false;
    setPriority(threadId, niceness);
    return true;
  } catch {
    return false;
  }
}
