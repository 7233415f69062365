// The history calls of the API (see contract.ts). Empty until the history part declares its calls.
import type { z } from 'zod';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface HistoryApi {}

export const historySchemas: { [K in keyof HistoryApi]: z.ZodType<HistoryApi[K]['request']> } = {};

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface HistoryEvents {}
export const historyEventNames: ReadonlyArray<keyof HistoryEvents> = [];
