/**
 * The training job's custom-resource lifecycle (Provider framework: onEvent + isComplete), as the
 * Lambda entries (on-event.ts, is-complete.ts) and the tests use it. The parts: on-event-handler.ts
 * (start, reuse or stop a job), reuse.ts (a job with the same inputs and its model artifact),
 * is-complete-handler.ts (poll, attributes, minimum metric), messages.ts (what a failed deploy says).
 */
export type { Dependencies, IsCompleteResponse, OnEventResponse, TrainingJobEvent } from './dependencies';
export { isComplete } from './is-complete-handler';
export { onEvent } from './on-event-handler';
