// Renderer entry: one RootStore over whichever API transport this page has.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from './api/client.ts';
import { StoreContext } from './stores/context.tsx';
import { RootStore } from './stores/root-store.ts';
import { App } from './views/App.tsx';
import './styles.css';

const store = new RootStore(createClient());
void store.start();

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <App />
    </StoreContext.Provider>
  </StrictMode>,
);
