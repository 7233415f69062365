// What the stores need of the API client, without the transports, so stores and their tests
// type-check in plain Node (no DOM) too.
import type {
  ApiEventName,
  ApiEvents,
  ApiName,
  ApiRequest,
  ApiResponse,
} from '../../../shared/api/contract.ts';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface ApiClient {
  call<K extends ApiName>(name: K, request: ApiRequest<K>): Promise<ApiResponse<K>>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  onState(listener: (state: ConnectionState) => void): () => void;
  readonly transport: 'ipc' | 'websocket';
}
