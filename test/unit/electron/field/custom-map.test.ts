import { describe, expect, it } from 'vitest';
import { decodeCustomPoint, encodeCustomPoint, planReads } from '../../../../electron/field/custom-map.ts';
import { customPointSchema } from '../../../../shared/site/schema.ts';

const point = (p: Record<string, unknown>) => customPointSchema.parse({ name: 'x', ...p });

describe('custom register maps', () => {
  it('round-trips every type in both word orders', () => {
    for (const type of ['int16', 'uint16', 'int32', 'uint32', 'float32'] as const) {
      for (const wordOrder of ['big', 'little'] as const) {
        const p = point({ address: 0, type, wordOrder, scale: type === 'float32' ? 1 : 0.1 });
        const value = type.startsWith('u') ? 1234.5 : -1234.5;
        const regs = encodeCustomPoint(p, value);
        expect(decodeCustomPoint(p, regs, 0)).toBeCloseTo(value, 3);
      }
    }
  });

  it('decodes a little-endian float as the meter sends it', () => {
    // 230.5 V as IEEE 754 is 0x43668000; low word first.
    const p = point({ address: 0, type: 'float32', wordOrder: 'little' });
    expect(decodeCustomPoint(p, [0x8000, 0x4366], 0)).toBeCloseTo(230.5, 5);
  });

  it('merges near points into one read and splits past 125 registers', () => {
    const blocks = planReads([
      point({ address: 0, type: 'float32' }),
      point({ address: 6, type: 'float32' }),
      point({ address: 120, type: 'uint32' }),
      point({ address: 10, type: 'int16', function: 'input' }),
    ]);
    expect(blocks).toEqual([
      { function: 'holding', address: 0, count: 8 },
      { function: 'holding', address: 120, count: 2 },
      { function: 'input', address: 10, count: 1 },
    ]);
  });
});
