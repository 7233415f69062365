// Inputs of the market settings form. Each keeps the text as typed (so "0.0" can become "0.05")
// and reports it upward; the back end's problems for its JSON path are shown beneath it.
import { useState, type ReactNode } from 'react';
import type { PriceRule } from '../../../../shared/market/index.ts';
import type { Problem } from '../../../../shared/validation/problems.ts';
import { MarketStore } from '../../stores/market-store.ts';

export function FieldNotes({ problems, warnings = [] }: { problems: Problem[]; warnings?: Problem[] }) {
  if (problems.length === 0 && warnings.length === 0) return null;
  return (
    <div className="field-notes">
      {problems.map((p) => (
        <div key={`p${p.path}${p.message}`} className="alarm small">
          {p.message}
        </div>
      ))}
      {warnings.map((p) => (
        <div key={`w${p.path}${p.message}`} className="warning small">
          {p.message}
        </div>
      ))}
    </div>
  );
}

export function Field({
  label,
  hint,
  problems,
  warnings,
  children,
}: {
  label: string;
  hint?: string;
  problems: Problem[];
  warnings?: Problem[];
  children: ReactNode;
}) {
  return (
    <label className={`field ${problems.length ? 'invalid' : ''}`}>
      <span className="field-label">{label}</span>
      {children}
      {hint && <span className="muted small">{hint}</span>}
      <FieldNotes problems={problems} {...(warnings ? { warnings } : {})} />
    </label>
  );
}

/** A text input for a number; empty text means "not set" (the preset's value holds). */
export function NumberInput({
  value,
  placeholder,
  onChange,
  testId,
  width = 7,
}: {
  value: unknown;
  placeholder?: string;
  onChange: (value: number | string | undefined) => void;
  testId?: string;
  width?: number;
}) {
  const external = value === undefined || value === null ? '' : String(value as number | string);
  const [text, setText] = useState(external);
  const [seen, setSeen] = useState(external);
  // Follow a change made elsewhere (discard, save, another field), not our own typing; adjusted
  // while rendering, as React advises, rather than in an effect that would render twice.
  if (external !== seen) {
    setSeen(external);
    if (MarketStore.numberOrText(text) !== MarketStore.numberOrText(external)) setText(external);
  }
  return (
    <input
      className="mono"
      size={width}
      value={text}
      placeholder={placeholder}
      data-testid={testId}
      onChange={(e) => {
        setText(e.target.value);
        onChange(MarketStore.numberOrText(e.target.value));
      }}
    />
  );
}

/** A list of ids typed with commas or spaces between them. */
export function IdListInput({
  value,
  placeholder,
  onChange,
  testId,
}: {
  value: string[] | undefined;
  placeholder?: string;
  onChange: (ids: string[] | undefined) => void;
  testId?: string;
}) {
  const external = (value ?? []).join(', ');
  const [text, setText] = useState(external);
  const [seen, setSeen] = useState(external);
  if (external !== seen) {
    setSeen(external);
    if (splitIds(text).join(',') !== splitIds(external).join(',')) setText(external);
  }
  return (
    <input
      className="mono id-list"
      value={text}
      placeholder={placeholder}
      data-testid={testId}
      onChange={(e) => {
        setText(e.target.value);
        const ids = splitIds(e.target.value);
        onChange(ids.length ? ids : undefined);
      }}
    />
  );
}

function splitIds(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** A price rule in words; `short` for a select's option. */
export function describeRule(rule: PriceRule | undefined, currency: string, short = false): string {
  if (!rule) return '—';
  if ('perKWh' in rule) return `${rule.perKWh} ${currency}/kWh`;
  const percent = Math.round(rule.gridSpreadFraction * 100);
  return short
    ? `${percent} % up the grid band`
    : `${percent} % of the way from the grid export to the import price`;
}

/** A price rule: the preset's, a point in the grid's band, or a fixed price. */
export function PriceRuleInput({
  value,
  preset,
  currency,
  onChange,
  testId,
}: {
  value: PriceRule | undefined;
  preset: PriceRule | undefined;
  currency: string;
  onChange: (rule: PriceRule | undefined) => void;
  testId?: string;
}) {
  const kind = !value ? 'preset' : 'perKWh' in value ? 'fixed' : 'band';
  const number = !value ? undefined : 'perKWh' in value ? value.perKWh : value.gridSpreadFraction;
  return (
    <span className="price-rule">
      <select
        value={kind}
        data-testid={testId ? `${testId}-kind` : undefined}
        onChange={(e) => {
          const next = e.target.value;
          if (next === 'preset') onChange(undefined);
          else if (next === 'fixed')
            onChange({ perKWh: 'perKWh' in (preset ?? {}) ? (preset as { perKWh: number }).perKWh : 0.15 });
          else
            onChange({
              gridSpreadFraction: preset && 'gridSpreadFraction' in preset ? preset.gridSpreadFraction : 0.5,
            });
        }}
      >
        <option value="preset">preset: {describeRule(preset, currency, true)}</option>
        <option value="band">grid band: 0 = export … 1 = import price</option>
        <option value="fixed">fixed price ({currency}/kWh)</option>
      </select>
      {kind !== 'preset' && (
        <NumberInput
          value={number}
          {...(testId ? { testId } : {})}
          onChange={(v) =>
            // Text that is not a number (or none) goes to the back end as typed, which names the problem.
            onChange((kind === 'fixed' ? { perKWh: v ?? '' } : { gridSpreadFraction: v ?? '' }) as PriceRule)
          }
        />
      )}
      {kind !== 'preset' && (
        <span className="muted small unit">{kind === 'fixed' ? `${currency}/kWh` : 'of the band (0–1)'}</span>
      )}
    </span>
  );
}
