// The field calls of the API (see contract.ts). Empty until the field part declares its calls.
import type { z } from 'zod';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface FieldApi {}

export const fieldSchemas: { [K in keyof FieldApi]: z.ZodType<FieldApi[K]['request']> } = {};

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface FieldEvents {}
export const fieldEventNames: ReadonlyArray<keyof FieldEvents> = [];
