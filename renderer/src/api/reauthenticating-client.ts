// Control actions need a recently proved password: when the back end answers `reauthenticate`,
// this client asks the person for it (through `ask`, a prompt in the page), proves it, and runs
// the call once more. Cancelling the prompt fails the call with the back end's own message.
import type { ApiClient } from './api-client.ts';
import { ApiError } from './client.ts';

export type AskPassword = (reason: string, error: string | null) => Promise<string | null>;

export function withReauthentication(client: ApiClient, ask: AskPassword): ApiClient {
  return {
    transport: client.transport,
    on: (event, listener) => client.on(event, listener),
    onState: (listener) => client.onState(listener),
    async call(name, request) {
      try {
        return await client.call(name, request);
      } catch (error) {
        if (!(error instanceof ApiError) || error.code !== 'reauthenticate') throw error;
        let problem: string | null = null;
        for (;;) {
          const password = await ask(error.message, problem);
          if (password === null) throw error;
          try {
            await client.call('auth/reauthenticate', { password });
            break;
          } catch (again) {
            problem = (again as Error).message;
          }
        }
        return client.call(name, request);
      }
    },
  };
}
