// The sign-in form: all a page without a session ever shows. Nothing of the console is loaded
// before the session exists (the API refuses the connection without one).
import { useState, type FormEvent } from 'react';
import type { SignInTransport } from '../../api/sign-in.ts';

export function SignIn({ transport, onSignedIn }: { transport: SignInTransport; onSignedIn: () => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(
    location.hash === '#sign-in-link-invalid'
      ? 'That sign-in link is unknown, used or expired. Sign in with your password, or start the console again for a new link.'
      : null,
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const result = await transport.signIn(user.trim(), password).catch((error: unknown) => ({
      ok: false,
      message: `cannot reach the console: ${(error as Error).message}`,
    }));
    setBusy(false);
    if (result.ok) onSignedIn();
    else {
      setPassword('');
      setMessage(result.message);
    }
  };
  return (
    <div className="sign-in">
      <form onSubmit={(e) => void submit(e)} aria-label="Sign in">
        <div className="brand">
          <span className="logo">◉</span> Commonwatt
        </div>
        <label>
          User
          <input
            name="user"
            autoComplete="username"
            value={user}
            onChange={(e) => setUser(e.target.value)}
            autoFocus
            required
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        {message && (
          <p className="sign-in-error" role="alert">
            {message}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
