// The latest live snapshot, replaced as a whole on every push. The 3D scene reads it inside its
// frame loop, so a new snapshot redraws the scene without re-rendering React components.
import { makeAutoObservable, observable } from 'mobx';
import type { LiveSnapshot } from '../../../shared/api/live.ts';
import type { ApiClient, ConnectionState } from '../api/api-client.ts';

const HISTORY_SECONDS = 600;

export class LiveStore {
  snapshot: LiveSnapshot | null = null;
  connection: ConnectionState = 'connecting';
  /** PCC power of the last ten minutes, for the headline sparkline: [time ms, kW]. */
  pccHistory: Array<[number, number]> = [];

  constructor(private readonly api: ApiClient) {
    makeAutoObservable<LiveStore, 'api'>(this, {
      api: false,
      snapshot: observable.ref,
      pccHistory: observable.ref,
    });
    api.on('live/snapshot', (snapshot) => this.accept(snapshot));
    api.onState((state) => this.setConnection(state));
  }

  async load(): Promise<void> {
    this.accept(await this.api.call('live/snapshot', {}));
  }

  setConnection(state: ConnectionState): void {
    this.connection = state;
  }

  accept(snapshot: LiveSnapshot): void {
    this.snapshot = snapshot;
    const p = snapshot.pcc?.powerKW;
    if (p && p.value !== null) {
      const cutoff = snapshot.timeMs - HISTORY_SECONDS * 1000;
      this.pccHistory = [...this.pccHistory.filter(([t]) => t >= cutoff), [snapshot.timeMs, p.value]];
    }
  }

  get pccPowerKW(): number | null {
    return this.snapshot?.pcc?.powerKW.value ?? null;
  }
}
