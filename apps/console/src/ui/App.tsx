import { useEffect, useMemo, useState } from 'preact/hooks';
import { createApi } from '../api.js';
import { describeError, type Problem } from '../errors.js';
import { isOperator, sessionFromToken, storedToken, storeToken, type Session } from '../session.js';
import { useView } from './hooks.js';
import { Operator } from './Operator.js';
import { Shop } from './Shop.js';
import { SignIn } from './SignIn.js';
import { Alert } from './widgets.js';

function restore(): Session | undefined {
  const s = sessionFromToken(storedToken());
  return 'problem' in s ? undefined : s;
}

/**
 * The console: signed out, only the sign-in; signed in, the shop, and for a
 * token with an admin scope the operations view. A call the gateway answers
 * UNAUTHENTICATED signs out, and so does the token's expiry.
 */
export function App() {
  const [session, setSession] = useState<Session | undefined>(restore);
  const [notice, setNotice] = useState<Problem>();
  const [view, setView] = useView();
  const api = useMemo(() => session && createApi(session.token), [session]);

  const signIn = (s: Session) => {
    storeToken(s.token);
    setNotice(undefined);
    setSession(s);
  };
  const signOut = (why?: Problem) => {
    storeToken('');
    setSession(undefined);
    setNotice(why);
  };
  /** For the views: an error's description, having signed out if the token was refused. */
  const report = (err: unknown): Problem => {
    const problem = describeError(err);
    if (problem.signedOut) signOut(problem);
    return problem;
  };

  useEffect(() => {
    if (!session?.expiresAt) return;
    const timer = setTimeout(() => signOut({ title: 'Signed out', detail: 'Your token expired. Sign in again.' }), Math.min(session.expiresAt - Date.now(), 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [session]);

  const operator = session !== undefined && isOperator(session);
  const shown = operator && view === 'ops' ? 'ops' : 'shop';
  return (
    <>
      <header class="bar">
        <h1>Order console</h1>
        {session && (
          <>
            <nav aria-label="Views">
              <a href="#shop" aria-current={shown === 'shop' ? 'page' : undefined} onClick={() => setView('shop')}>
                Shop
              </a>
              {operator && (
                <a href="#ops" aria-current={shown === 'ops' ? 'page' : undefined} onClick={() => setView('ops')}>
                  Operations
                </a>
              )}
            </nav>
            <p class="who">
              Signed in as <strong data-testid="user">{session.userId}</strong>
              {operator && <span class="tag">operator</span>}
            </p>
            <button type="button" onClick={() => signOut()}>
              Sign out
            </button>
          </>
        )}
      </header>
      <main>
        {!session || !api ? (
          <>
            {notice && <Alert problem={notice} />}
            <SignIn onSignIn={signIn} />
          </>
        ) : shown === 'ops' ? (
          <Operator api={api} session={session} report={report} />
        ) : (
          <Shop api={api} session={session} report={report} />
        )}
      </main>
    </>
  );
}
