// Conventions said once: power in kW, energy in kWh, prices in the site's currency per kWh,
// state of charge as a fraction 0..1, timestamps as epoch milliseconds (UTC) inside the
// program and ISO 8601 strings with an offset at its edges (files, exports, the CLI).
export type EpochMs = number;

export const MS_PER_SECOND = 1000;
export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
