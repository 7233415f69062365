// How the controller's modes read on screen, and the colour family each belongs to: green fed
// by the grid, blue islanded on the battery pool, amber on the way between, red dark.
import type { ControlMode } from '../../../../shared/api/control-api.ts';

export type ModeTone = 'grid' | 'island' | 'transition' | 'dark';

const labels: Record<ControlMode, string> = {
  'grid-connected': 'Grid-connected',
  'planned-islanding': 'Planned islanding',
  'unplanned-islanding': 'Grid loss',
  islanded: 'Islanded',
  resynchronising: 'Resynchronising',
  reconnecting: 'Reconnecting',
  blackout: 'Blackout',
  'black-start': 'Black start',
  'off-grid': 'Off-grid',
};

export function modeLabel(mode: ControlMode): string {
  return labels[mode];
}

export function modeTone(mode: ControlMode): ModeTone {
  switch (mode) {
    case 'grid-connected':
      return 'grid';
    case 'islanded':
    case 'off-grid':
      return 'island';
    case 'blackout':
      return 'dark';
    case 'planned-islanding':
    case 'unplanned-islanding':
    case 'resynchronising':
    case 'reconnecting':
    case 'black-start':
      return 'transition';
  }
}
