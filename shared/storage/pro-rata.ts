// Sharing an amount among holders in proportion to weights, each up to a cap: the rule behind
// every split in the virtual storage (pool charge among contributors, discharge among members
// short of energy, losses among holders). Whatever a capped holder cannot take is shared again
// among the others, so the parts add up to the amount unless every holder is full.

export interface Shared {
  parts: Map<string, number>;
  /** What no holder could take because all were at their caps. */
  leftover: number;
}

/**
 * Splits `amount` ≥ 0 among `weights` (≥ 0) so that no part exceeds its cap (absent: no cap).
 * Holders of zero weight take nothing. Deterministic: iterates holders in key order.
 */
export function shareProRata(
  amount: number,
  weights: ReadonlyMap<string, number>,
  caps?: ReadonlyMap<string, number>,
): Shared {
  const parts = new Map<string, number>();
  let open = [...weights.keys()].filter((k) => weights.get(k)! > 0).sort();
  let left = amount;
  // Each pass either places everything or fills at least one holder, so it ends within n passes.
  while (left > 0 && open.length > 0) {
    const total = open.reduce((sum, k) => sum + weights.get(k)!, 0);
    const full: string[] = [];
    let placed = 0;
    for (const k of open) {
      const want = (left * weights.get(k)!) / total;
      const have = parts.get(k) ?? 0;
      const room = caps?.has(k) ? Math.max(0, caps.get(k)! - have) : Infinity;
      const give = Math.min(want, room);
      parts.set(k, have + give);
      placed += give;
      if (give < want) full.push(k);
    }
    left -= placed;
    if (full.length === 0) {
      left = 0;
      break;
    }
    open = open.filter((k) => !full.includes(k));
  }
  return { parts, leftover: Math.max(0, left) };
}

/** Shares `amount` tier by tier (lowest tier first), pro rata to demand within a tier, up to demand. */
export function shareByTier(
  amount: number,
  demands: ReadonlyMap<string, number>,
  tierOf: (holder: string) => number,
): Shared {
  const tiers = [...new Set([...demands.keys()].map(tierOf))].sort((a, b) => a - b);
  const parts = new Map<string, number>();
  let left = amount;
  for (const tier of tiers) {
    const inTier = new Map([...demands].filter(([k]) => tierOf(k) === tier));
    const shared = shareProRata(left, inTier, inTier);
    for (const [k, v] of shared.parts) parts.set(k, v);
    left = shared.leftover;
    if (left <= 0) break;
  }
  return { parts, leftover: left };
}
