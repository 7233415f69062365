import { describe, expect, it } from 'vitest';
import { template24h } from '../../../../../renderer/src/views/chart-time.ts';

describe('chart time labels', () => {
  it("turns uPlot's 12-hour templates into a 24-hour clock", () => {
    expect(template24h('{h}:{mm}{aa}')).toBe('{HH}:{mm}');
    expect(template24h('{h}{aa}')).toBe('{HH}:00');
    expect(template24h('{h}:{mm}:{ss}{aa}')).toBe('{HH}:{mm}:{ss}');
    expect(template24h('{M}/{D}/{YY} {h}:{mm}:{ss} {AA}')).toBe('{YYYY}-{MM}-{DD} {HH}:{mm}:{ss}');
  });

  it('writes dates year first', () => {
    expect(template24h('\n{M}/{D}/{YY}')).toBe('\n{YYYY}-{MM}-{DD}');
    expect(template24h('{M}/{D}')).toBe('{MM}-{DD}');
    expect(template24h('{YYYY}')).toBe('{YYYY}');
  });
});
