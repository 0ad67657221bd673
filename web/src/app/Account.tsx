// Who is logged in, the private-session switch, and the "Log out" button.
import { useEffect, useState } from 'preact/hooks';
import { getMe, getPreferences, setPreferences } from '../api/endpoints';
import { useAsync } from '../components/useAsync';

/** While on, the server keeps this user's plays and searches out of history, counts and top items. */
function PrivateSession() {
  const prefs = useAsync((signal) => getPreferences(signal), []);
  const [on, setOn] = useState<boolean | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (prefs.status === 'ready') setOn(Boolean(prefs.data?.private_session));
  }, [prefs.status]);
  if (on === null) return null;
  const toggle = async () => {
    const next = !on;
    setSaving(true);
    setOn(next);
    try {
      const saved = await setPreferences({ private_session: next });
      setOn(Boolean(saved?.private_session ?? next));
    } catch {
      setOn(!next); // not saved: show what the server still has
    } finally {
      setSaving(false);
    }
  };
  return (
    <button type="button" class={`button button-small ${on ? '' : 'button-outline'} private-session`}
      aria-pressed={on} disabled={saving} onClick={toggle}
      title={on ? 'Private session: nothing you play is recorded' : 'Start a private session'}>
      {on ? 'Private session on' : 'Private session'}
    </button>
  );
}

export function Account({ onLogout, busy }: { onLogout: () => void; busy: boolean }) {
  const me = useAsync((signal) => getMe(signal), []);
  const name = me.status === 'ready' ? me.data.display_name || me.data.id : '';
  return (
    <div class="account">
      {name && <span class="account-name" title={name}>{name}</span>}
      <PrivateSession />
      <button type="button" class="button button-outline button-small" onClick={onLogout} disabled={busy}>
        Log out
      </button>
    </div>
  );
}
