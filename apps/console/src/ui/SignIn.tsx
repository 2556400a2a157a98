import { useEffect, useState } from 'preact/hooks';
import { devSignerAvailable, requestDevToken, sessionFromToken, type Session } from '../session.js';

/**
 * Sign-in: paste a bearer token; on the local stack, "sign in as" asks the
 * gateway's dev signer for one. That button is there only when the signer
 * answers (it is off unless the local stack turns it on, and refused in
 * production).
 */
export function SignIn({ onSignIn }: { onSignIn: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [userId, setUserId] = useState('user_001');
  const [admin, setAdmin] = useState(false);
  const [signer, setSigner] = useState<'checking' | 'on' | 'off'>('checking');
  const [problem, setProblem] = useState('');

  useEffect(() => {
    let alive = true;
    void devSignerAvailable().then((on) => alive && setSigner(on ? 'on' : 'off'));
    return () => {
      alive = false;
    };
  }, []);

  const use = (raw: string) => {
    const s = sessionFromToken(raw);
    if ('problem' in s) setProblem(s.problem);
    else onSignIn(s);
  };
  const signInAs = async () => {
    setProblem('');
    try {
      const signed = await requestDevToken(userId.trim(), admin);
      if (signed) use(signed);
      else {
        setSigner('off');
        setProblem('The dev signer is off on this gateway: paste a token instead.');
      }
    } catch (err) {
      setProblem(`The dev signer refused: ${(err as Error).message}`);
    }
  };

  return (
    <section class="signin" aria-labelledby="signin-title">
      <h2 id="signin-title">Sign in</h2>
      {problem && (
        <p class="alert" role="alert">
          {problem}
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          use(token);
        }}
      >
        <label for="token">Bearer token (a JWT)</label>
        <textarea id="token" rows={4} value={token} onInput={(e) => setToken(e.currentTarget.value)} placeholder="eyJhbGciOi…" spellcheck={false} required />
        <p class="hint">
          For the local stack: <code>npm run -s token -- --sub user_001</code> (add <code>--admin</code> for the operations view).
        </p>
        <button type="submit">Sign in with this token</button>
      </form>
      {signer === 'on' && (
        <form
          class="devsign"
          aria-label="Sign in as a user of the local stack"
          onSubmit={(e) => {
            e.preventDefault();
            void signInAs();
          }}
        >
          <h3>Local stack</h3>
          <label for="dev-user">User id</label>
          <input id="dev-user" value={userId} onInput={(e) => setUserId(e.currentTarget.value)} pattern="[A-Za-z0-9._:@\-]{1,64}" required />
          <label class="check">
            <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} /> operator (orders:admin, catalog:admin)
          </label>
          <button type="submit">Sign in as {userId.trim() || '…'}</button>
        </form>
      )}
      {signer === 'off' && <p class="hint">This gateway has no dev signer: sign in with a token from your identity provider.</p>}
    </section>
  );
}
