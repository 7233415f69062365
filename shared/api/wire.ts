// Messages on the WebSocket transport. IPC carries the same call and event shapes natively.
import { z } from 'zod';

export const callMessageSchema = z.object({
  type: z.literal('call'),
  id: z.number().int(),
  name: z.string(),
  request: z.unknown(),
});
export type CallMessage = z.infer<typeof callMessageSchema>;

export type ServerMessage =
  | { type: 'result'; id: number; ok: true; response: unknown }
  | { type: 'result'; id: number; ok: false; error: { code: string; message: string } }
  | { type: 'event'; name: string; payload: unknown };
