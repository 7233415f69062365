// What the operator is looking at: the current view and the selected element.
import { makeAutoObservable } from 'mobx';

export type ViewName =
  | 'overview'
  | 'control'
  | 'market'
  | 'members'
  | 'storage'
  | 'kpis'
  | 'history'
  | 'devices'
  | 'commissioning'
  | 'audit';

export class UiStore {
  view: ViewName = 'overview';
  selectedMember: string | null = null;
  animateFlows = true;

  constructor() {
    makeAutoObservable(this);
  }

  show(view: ViewName): void {
    this.view = view;
  }

  select(member: string | null): void {
    this.selectedMember = member;
  }

  toggleFlows(): void {
    this.animateFlows = !this.animateFlows;
  }
}
