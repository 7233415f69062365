// Who is signed in on this page, their role, and the password prompt that control actions raise
// when the session proved its password too long ago: the API client asks this store for the
// password, re-authenticates and runs the call again, so no view handles it on its own.
import { makeAutoObservable, runInAction } from 'mobx';
import { roleAllows, type Role } from '../../../shared/api/access.ts';
import type { SessionView } from '../../../shared/api/auth-api.ts';
import type { ApiClient } from '../api/api-client.ts';

export class SessionStore {
  session: SessionView | null = null;
  /** A control action waits for the password; the prompt shows while this is set. */
  prompt: { reason: string; error: string | null } | null = null;
  passwordMessage: string | null = null;
  private answer: ((password: string | null) => void) | null = null;

  constructor(private readonly api: ApiClient) {
    makeAutoObservable<SessionStore, 'api' | 'answer'>(this, { api: false, answer: false });
  }

  async load(): Promise<void> {
    const session = await this.api.call('auth/session', {});
    runInAction(() => (this.session = session));
  }

  may(role: Role): boolean {
    return this.session !== null && roleAllows(this.session.role, role);
  }

  /** Asks for the password (the prompt view answers); null when the person cancels. */
  askPassword(reason: string, error: string | null = null): Promise<string | null> {
    this.prompt = { reason, error };
    return new Promise((resolve) => (this.answer = resolve));
  }

  answerPrompt(password: string | null): void {
    this.prompt = null;
    const answer = this.answer;
    this.answer = null;
    answer?.(password);
  }

  async setPassword(password: string, current: string | null): Promise<boolean> {
    try {
      const session = await this.api.call('auth/set-password', {
        password,
        ...(current ? { current } : {}),
      });
      runInAction(() => {
        this.session = session;
        this.passwordMessage = 'Password saved.';
      });
      return true;
    } catch (error) {
      runInAction(() => (this.passwordMessage = (error as Error).message));
      return false;
    }
  }

  async signOut(): Promise<void> {
    await this.api.call('auth/sign-out', {}).catch(() => undefined);
  }
}
