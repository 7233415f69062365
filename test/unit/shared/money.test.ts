// Money as statements and the settlement views write it: one function, so a member's bill reads
// the same on paper and on screen.
import { describe, expect, it } from 'vitest';
import { money as statementMoney } from '../../../electron/market/statement-format.ts';
import { money } from '../../../shared/money.ts';
import { money as viewMoney } from '../../../renderer/src/views/members/settlement-format.ts';

describe('money', () => {
  it('writes the symbol, a true minus and the cents', () => {
    expect(money(12.345, 'EUR')).toBe('€12.35');
    expect(money(-3.5, 'USD')).toBe('−$3.50');
    expect(money(0.1, 'GBP')).toBe('£0.10');
    expect(money(7, 'BRL')).toBe('BRL 7.00');
    expect(money(0.12345, 'EUR', 4)).toBe('€0.1235');
  });

  it('never signs an amount that rounds to zero', () => {
    // −0.00495 rounds to 0.00 at two decimals; the statement's former rule printed "−€0.00".
    expect(money(-0.00495, 'EUR')).toBe('€0.00');
    expect(money(-0.004, 'EUR')).toBe('€0.00');
    expect(money(-0.006, 'EUR')).toBe('−€0.01');
    expect(money(-0.0004, 'EUR', 3)).toBe('€0.000');
    expect(money(-0.0006, 'EUR', 3)).toBe('−€0.001');
  });

  it('shows a dash where there is no amount', () => {
    for (const v of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY])
      expect(money(v, 'EUR')).toBe('—');
  });

  it('is the one the statements and the settlement views use', () => {
    expect(statementMoney).toBe(money);
    expect(viewMoney).toBe(money);
  });
});
