// Who is signed in, with which role, and sign-out; for a user without a password yet (the first
// admin, signed in by link) a form to set one, shown until it is set; and the password prompt
// that control actions raise when the session proved its password too long ago.
import { observer } from 'mobx-react-lite';
import { useState, type FormEvent } from 'react';
import { useStores } from '../../stores/context.tsx';

export const SessionMenu = observer(function SessionMenu({ onSignOut }: { onSignOut: () => void }) {
  const { session } = useStores();
  const s = session.session;
  if (!s) return null;
  return (
    <span className="session">
      <span className="badge" title={`signed in as ${s.user}, role ${s.role}`}>
        {s.user} · {s.role}
      </span>
      <button className="link" onClick={onSignOut}>
        Sign out
      </button>
    </span>
  );
});

export const SetPasswordBanner = observer(function SetPasswordBanner() {
  const { session } = useStores();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  if (!session.session?.needsPassword) return null;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== repeat) return setMismatch(true);
    setMismatch(false);
    if (await session.setPassword(password, null)) {
      setPassword('');
      setRepeat('');
    }
  };
  return (
    <form className="banner warn set-password" onSubmit={(e) => void submit(e)}>
      <span>
        {session.session.user} has no password yet: set one (at least 12 characters) so you can sign in again
        without a link.
      </span>
      <input
        type="password"
        autoComplete="new-password"
        placeholder="new password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        aria-label="new password"
      />
      <input
        type="password"
        autoComplete="new-password"
        placeholder="repeat"
        value={repeat}
        onChange={(e) => setRepeat(e.target.value)}
        aria-label="repeat the new password"
      />
      <button type="submit">Set password</button>
      {(mismatch || session.passwordMessage) && (
        <span role="alert">{mismatch ? 'The two passwords differ.' : session.passwordMessage}</span>
      )}
    </form>
  );
});

export const PasswordPrompt = observer(function PasswordPrompt() {
  const { session } = useStores();
  const [password, setPassword] = useState('');
  const prompt = session.prompt;
  if (!prompt) return null;
  const answer = (value: string | null) => {
    setPassword('');
    session.answerPrompt(value);
  };
  return (
    <div className="modal-backdrop">
      <form
        className="modal"
        aria-label="Confirm with your password"
        onSubmit={(e) => {
          e.preventDefault();
          answer(password);
        }}
      >
        <h3>Confirm with your password</h3>
        <p>{prompt.reason}</p>
        <input
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoFocus
          aria-label="password"
        />
        {prompt.error && <p role="alert">{prompt.error}</p>}
        <div className="actions">
          <button type="button" onClick={() => answer(null)}>
            Cancel
          </button>
          <button type="submit">Confirm</button>
        </div>
      </form>
    </div>
  );
});
