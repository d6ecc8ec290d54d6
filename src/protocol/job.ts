/**
 * A simulated request as it travels through the queue: which endpoint, when it
 * was enqueued (wall clock, ms since the epoch, to measure queue wait across
 * processes and machines), a sequence number, and for the closed model the
 * virtual user it belongs to. Job data comes from Redis, so a consumer
 * validates it and fails a malformed job with the reason rather than crash.
 */
import { z } from 'zod';

export const jobDataSchema = z.strictObject({
  endpoint: z.string().min(1),
  enqueuedAtMs: z.number().finite(),
  seq: z.number().int().min(0),
  user: z.number().int().min(0).optional(),
});

export type JobData = z.infer<typeof jobDataSchema>;

/** What a completed job returns (stored by BullMQ as the job's return value). */
export interface JobResult {
  /** The slot (worker index) that ran it, and that process's incarnation. */
  slot: number;
  incarnation: number;
  /** Modelled seconds. */
  serviceS: number;
  waitS: number;
}
