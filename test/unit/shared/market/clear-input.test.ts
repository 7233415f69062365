// The order file's validation: every problem reported as `json.path: message`, schema and
// cross-field alike, in one pass.
import { describe, expect, it } from 'vitest';
import { parseClearInput } from '../../../../shared/market/index.ts';
import { formatProblems } from '../../../../shared/validation/problems.ts';

const valid = {
  mechanism: 'uniform',
  interval: { start: '2026-06-01T12:00:00Z', minutes: 15 },
  grid: { importPrice: 0.3, exportPrice: 0.05 },
  orders: [
    { id: 'o1', member: 'm01', side: 'sell', energyKWh: 2.5, price: 0.08, bus: 'b3' },
    { id: 'o2', member: 'm02', side: 'buy', energyKWh: 1.2, price: 0.25, bus: 'b7' },
  ],
  network: {
    root: 'pcc',
    branches: [
      { id: 'l1', from: 'pcc', to: 'b3', capacityKW: 40 },
      { id: 'l2', from: 'b3', to: 'b7' },
    ],
  },
};

function problems(input: unknown): string[] {
  const result = parseClearInput(input);
  return result.ok ? [] : formatProblems(result.problems).split('\n');
}

describe('order file validation', () => {
  it('accepts the interchange example', () => {
    expect(problems(valid)).toEqual([]);
  });

  it('names the JSON path of schema problems', () => {
    const bad = structuredClone(valid) as Record<string, unknown> & typeof valid;
    (bad.orders[0] as Record<string, unknown>).energyKWh = -1;
    (bad.orders[1] as Record<string, unknown>).side = 'bid';
    (bad.interval as Record<string, unknown>).start = 'noon';
    expect(problems(bad)).toEqual([
      'interval.start: Invalid ISO datetime',
      'orders[0].energyKWh: Too small: expected number to be >=0',
      'orders[1].side: Invalid option: expected one of "buy"|"sell"',
    ]);
  });

  it('reports duplicate ids and unknown buses even when other fields are invalid', () => {
    const bad = structuredClone(valid);
    bad.orders[1]!.id = 'o1';
    bad.orders[1]!.bus = 'b9';
    (bad.orders[0] as Record<string, unknown>).price = 'cheap';
    expect(problems(bad)).toEqual([
      'orders[0].price: Invalid input: expected number, received string',
      "orders[1].id: duplicate order id 'o1' (first at orders[0])",
      "orders[1].bus: unknown bus 'b9'; buses are the network root and each branch's 'to'",
    ]);
  });

  it('rejects networks that are not one radial tree', () => {
    const bad = structuredClone(valid);
    bad.network.branches.push(
      { id: 'l1', from: 'b7', to: 'b8' },
      { id: 'l4', from: 'b5', to: 'b4' },
      { id: 'l5', from: 'b4', to: 'b5' },
      { id: 'l6', from: 'nowhere', to: 'b6' },
      { id: 'l7', from: 'pcc', to: 'b7' },
      { id: 'l8', from: 'b3', to: 'pcc' },
    );
    expect(problems(bad)).toEqual([
      "network.branches[2].id: duplicate branch id 'l1' (first at network.branches[0])",
      "network.branches[6].to: bus 'b7' already has a parent branch (network.branches[1]); the network must be radial",
      "network.branches[7].to: the root 'pcc' cannot have a parent branch",
      "network.branches[3]: branches form a loop through buses 'b4' → 'b5' → 'b4'",
      "network.branches[5].from: bus 'nowhere' is not connected to the root 'pcc'",
    ]);
  });

  it('asks for the settings a mechanism needs', () => {
    expect(problems({ ...valid, mechanism: 'community' })).toEqual([
      "community: required when mechanism is 'community'",
    ]);
    expect(problems({ ...valid, mechanism: 'fixed-rate' })).toEqual([
      "fixedRate: required when mechanism is 'fixed-rate'",
    ]);
  });

  it('limits preferences to buy orders and ten producers', () => {
    const bad = structuredClone(valid) as unknown as { orders: Array<Record<string, unknown>> };
    bad.orders[0]!.preferences = { producers: ['m02'] };
    bad.orders[1]!.preferences = { producers: Array.from({ length: 11 }, (_, i) => `p${i}`) };
    expect(problems(bad)).toEqual([
      'orders[1].preferences.producers: at most 10 preferred producers',
      'orders[0].preferences: only buy orders carry producer preferences',
    ]);
  });

  it('rejects unknown fields, which are usually typos', () => {
    const bad = structuredClone(valid) as unknown as { orders: Array<Record<string, unknown>> };
    bad.orders[0]!.enrgyKWh = 1;
    expect(problems(bad)).toEqual(['orders[0]: Unrecognized key: "enrgyKWh"']);
  });
});
