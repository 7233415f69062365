// The control calls of the API (see contract.ts). Empty until the control part declares its calls.
import type { z } from 'zod';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ControlApi {}

export const controlSchemas: { [K in keyof ControlApi]: z.ZodType<ControlApi[K]['request']> } = {};

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ControlEvents {}
export const controlEventNames: ReadonlyArray<keyof ControlEvents> = [];
