// The settlement calls of the API (see contract.ts). Empty until the settlement part declares its calls.
import type { z } from 'zod';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SettlementApi {}

export const settlementSchemas: { [K in keyof SettlementApi]: z.ZodType<SettlementApi[K]['request']> } = {};

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SettlementEvents {}
export const settlementEventNames: ReadonlyArray<keyof SettlementEvents> = [];
