// The market calls of the API (see contract.ts). Empty until the market part declares its calls.
import type { z } from 'zod';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface MarketApi {}

export const marketSchemas: { [K in keyof MarketApi]: z.ZodType<MarketApi[K]['request']> } = {};

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface MarketEvents {}
export const marketEventNames: ReadonlyArray<keyof MarketEvents> = [];
