// Who is logged in, and the "Log out" button.
import { getMe } from '../api/endpoints';
import { useAsync } from '../components/useAsync';

export function Account({ onLogout, busy }: { onLogout: () => void; busy: boolean }) {
  const me = useAsync((signal) => getMe(signal), []);
  const name = me.status === 'ready' ? me.data.display_name || me.data.id : '';
  return (
    <div class="account">
      {name && <span class="account-name" title={name}>{name}</span>}
      <button type="button" class="button button-outline button-small" onClick={onLogout} disabled={busy}>
        Log out
      </button>
    </div>
  );
}
