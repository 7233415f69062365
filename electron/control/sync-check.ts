// The synchronism check (ANSI 25) before the PCC breaker closes: voltage, frequency and phase
// differences across the open breaker within IEEE 1547-2018 Table 5. A dead island may be closed
// onto a live grid (dead-bus closing: nothing to be in step with). Anything unmeasured fails.
import type { SyncCheckResult } from '../../shared/api/control-api.ts';
import type { ControlConfig } from './control-config.ts';
import type { Nominal } from './grid-detection.ts';
import type { Measurements } from './measurements.ts';
import { islandEnergised } from './measurements.ts';

export function syncCheck(
  m: Measurements,
  nominal: Nominal,
  limits: ControlConfig['syncCheck'],
): SyncCheckResult {
  const none = { voltageDiffPct: null, frequencyDiffHz: null, phaseDiffDeg: null };
  const pcc = m.pcc;
  if (!pcc) return { ok: false, reason: 'the site has no PCC breaker', ...none };
  if (pcc.quality !== 'good' || pcc.voltageV === null || pcc.frequencyHz === null)
    return { ok: false, reason: 'PCC meter not answering: grid side unknown', ...none };
  if (pcc.breakerClosed === null) return { ok: false, reason: 'PCC breaker position unknown', ...none };
  if (pcc.breakerClosed) return { ok: false, reason: 'PCC breaker is already closed', ...none };
  const energised = islandEnergised(m, nominal.voltageV);
  if (energised === null) return { ok: false, reason: 'island voltage not measured', ...none };
  if (!energised)
    return { ok: true, reason: 'dead island: dead-bus closing, nothing to synchronise', ...none };
  const { voltageV, frequencyHz } = m.island;
  if (voltageV === null || frequencyHz === null)
    return { ok: false, reason: 'island voltage or frequency not measured', ...none };
  const voltageDiffPct = (Math.abs(pcc.voltageV - voltageV) / nominal.voltageV) * 100;
  const frequencyDiffHz = Math.abs(pcc.frequencyHz - frequencyHz);
  const phaseDiffDeg = pcc.phaseDifferenceDeg === null ? null : Math.abs(pcc.phaseDifferenceDeg);
  const values = { voltageDiffPct, frequencyDiffHz, phaseDiffDeg };
  if (voltageDiffPct > limits.maxVoltageDiffPct)
    return {
      ok: false,
      reason: `voltage difference ${voltageDiffPct.toFixed(1)} % > ${limits.maxVoltageDiffPct} %`,
      ...values,
    };
  if (frequencyDiffHz > limits.maxFrequencyDiffHz)
    return {
      ok: false,
      reason: `frequency difference ${frequencyDiffHz.toFixed(2)} Hz > ${limits.maxFrequencyDiffHz} Hz`,
      ...values,
    };
  if (phaseDiffDeg === null)
    return { ok: false, reason: 'phase difference across the PCC breaker is not measured', ...values };
  if (phaseDiffDeg > limits.maxPhaseDiffDeg)
    return {
      ok: false,
      reason: `phase difference ${phaseDiffDeg.toFixed(0)}° > ${limits.maxPhaseDiffDeg}°`,
      ...values,
    };
  return {
    ok: true,
    reason: `in synchronism: ΔV ${voltageDiffPct.toFixed(1)} %, Δf ${frequencyDiffHz.toFixed(2)} Hz, Δφ ${phaseDiffDeg.toFixed(0)}°`,
    ...values,
  };
}
