// The control picture the 3D topology draws (ControlSnapshot), derived from the controller's
// state in one place, for the controller's own snapshot and the renderer's store alike.
import type { ControlSnapshot, ControlState } from './control-api.ts';

export function controlSnapshot(state: ControlState): ControlSnapshot {
  const breakerClosed = state.pcc?.breakerClosed ?? null;
  const shed = state.tiers.filter((t) => t.shed);
  return {
    mode: state.mode,
    islanded: state.siteKind === 'off-grid' || breakerClosed === false || state.pcc?.gridStatus === 'lost',
    // A blackout is dark whatever the island voltage reads (it may be unknown); otherwise the
    // buses count as live unless the island measures dead.
    energised: state.mode !== 'blackout' && state.island.energised !== false,
    breakerClosed,
    shedTiers: shed.map((t) => t.tier),
    shedMembers: shed.flatMap((t) => t.members),
    activeAlarms: state.alarms.filter((a) => a.clearedMs === null).length,
  };
}
