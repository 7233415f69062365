// Renderer entry: without a session, only the sign-in form; with one, one RootStore over
// whichever API transport this page has. A session that ends while the page is open (signed out,
// expired, the user removed) brings the sign-in form back.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { CommonwattBridge } from '../../shared/api/bridge.ts';
import { ipcClient, webSocketClient } from './api/client.ts';
import { browserSignIn, ipcSignIn } from './api/sign-in.ts';
import { StoreContext } from './stores/context.tsx';
import { RootStore } from './stores/root-store.ts';
import { App } from './views/App.tsx';
import { SignIn } from './views/session/SignIn.tsx';
import './styles.css';

const bridge = (window as unknown as { commonwatt?: CommonwattBridge }).commonwatt;
const signIn = bridge ? ipcSignIn(bridge) : browserSignIn();
const root = createRoot(document.getElementById('root') as HTMLElement);

function restart(): void {
  history.replaceState(null, '', location.pathname);
  location.reload();
}

async function boot(): Promise<void> {
  const signedIn = await signIn.signedIn().catch(() => false);
  if (!signedIn) {
    root.render(
      <StrictMode>
        <SignIn transport={signIn} onSignedIn={restart} />
      </StrictMode>,
    );
    return;
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const store = new RootStore(
    bridge ? ipcClient(bridge) : webSocketClient(`${scheme}://${location.host}/api`),
  );
  void store.start();
  store.api.onState((state) => {
    if (state === 'closed')
      void signIn.signedIn().then(
        (still) => !still && restart(),
        () => undefined,
      );
  });
  const signOut = async () => {
    await store.session.signOut();
    await signIn.afterSignOut();
    restart();
  };
  root.render(
    <StrictMode>
      <StoreContext.Provider value={store}>
        <App onSignOut={() => void signOut()} />
      </StoreContext.Provider>
    </StrictMode>,
  );
}

void boot();
