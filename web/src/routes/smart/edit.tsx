// The rule editor: a new smart playlist (/smart/new) or an existing one's rules (/smart/:id).
// Conditions on the server's fields (text, numbers, dates, saved, audio features such as tempo
// and energy), all or any of them, a sort and a limit; rules the form cannot show are edited as
// JSON. The server checks the rules and its message is shown as it says it.
import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { describeError } from '../../api/errors';
import { getPlaylist } from '../../api/playlists';
import { createSmartPlaylist, deleteRules, getRules, putRules, type RulesDocument } from '../../api/smart';
import { useTitle } from '../../app/useTitle';
import { ErrorMessage, Loading } from '../../components/LoadState';
import { useAsync } from '../../components/useAsync';
import {
  emptyDraft, FIELDS, fieldInfo, fromRules, newCondition, OPERATORS, SORTS, toRules, withField,
  type ConditionDraft, type RulesDraft,
} from './rules';

const inputValue = (e: Event) => (e.currentTarget as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement).value;

function ValueInput({ kind, label, value, onValue }: {
  kind: 'text' | 'number' | 'date'; label: string; value: string; onValue: (v: string) => void;
}) {
  const onInput = (e: Event) => onValue(inputValue(e));
  if (kind === 'date') return <input type="date" aria-label={label} value={value} onInput={onInput} />;
  if (kind === 'number') return <input type="number" step="any" aria-label={label} value={value} onInput={onInput} />;
  return <input type="text" aria-label={label} value={value} onInput={onInput} />;
}

function ConditionRow({ c, index, onChange, onRemove }: {
  c: ConditionDraft; index: number; onChange: (c: ConditionDraft) => void; onRemove?: () => void;
}) {
  const info = fieldInfo(c.field);
  const n = index + 1;
  const range = c.op === 'inTheRange';
  const kind = info.type === 'date' && c.op !== 'inTheLast' && c.op !== 'notInTheLast' ? 'date'
    : info.type === 'text' ? 'text' : 'number';
  return (
    <li class="rule-row" data-index={index}>
      <select aria-label={`Condition ${n}: field`} value={c.field} onChange={(e) => onChange(withField(c, inputValue(e)))}>
        {FIELDS.map((f) => <option key={f.name} value={f.name}>{f.label}</option>)}
      </select>
      <select aria-label={`Condition ${n}: operator`} value={c.op} onChange={(e) => onChange({ ...c, op: inputValue(e) })}>
        {OPERATORS[info.type].map((o) => <option key={o.op} value={o.op}>{o.label}</option>)}
      </select>
      {info.type === 'bool' ? (
        <select aria-label={`Condition ${n}: value`} value={c.value} onChange={(e) => onChange({ ...c, value: inputValue(e) })}>
          <option value="true">yes</option>
          <option value="false">no</option>
        </select>
      ) : (
        <>
          <ValueInput kind={kind} label={range ? `Condition ${n}: from` : `Condition ${n}: value`}
            value={c.value} onValue={(value) => onChange({ ...c, value })} />
          {range && (
            <>
              <span class="muted">and</span>
              <ValueInput kind={kind} label={`Condition ${n}: to`} value={c.value2} onValue={(value2) => onChange({ ...c, value2 })} />
            </>
          )}
          {info.unit && <span class="muted rule-unit">{info.unit}</span>}
        </>
      )}
      {onRemove && <button type="button" class="button button-secondary button-small" aria-label={`Remove condition ${n}`} onClick={onRemove}>Remove</button>}
    </li>
  );
}

function RulesForm({ draft, setDraft }: { draft: RulesDraft; setDraft: (d: RulesDraft) => void }) {
  const set = (patch: Partial<RulesDraft>) => setDraft({ ...draft, ...patch });
  const setCondition = (i: number, c: ConditionDraft) => set({ conditions: draft.conditions.map((x, j) => (j === i ? c : x)) });
  return (
    <fieldset class="rules-form">
      <legend>Rules</legend>
      <label class="rule-match">
        Match
        <select aria-label="Match" value={draft.match} onChange={(e) => set({ match: inputValue(e) as 'all' | 'any' })}>
          <option value="all">all</option>
          <option value="any">any</option>
        </select>
        of these conditions:
      </label>
      <ul class="rule-list" aria-label="Conditions">
        {draft.conditions.map((c, i) => (
          <ConditionRow key={i} c={c} index={i} onChange={(next) => setCondition(i, next)}
            onRemove={draft.conditions.length > 1 ? () => set({ conditions: draft.conditions.filter((_, j) => j !== i) }) : undefined} />
        ))}
      </ul>
      <button type="button" class="button button-outline button-small" onClick={() => set({ conditions: [...draft.conditions, newCondition()] })}>
        Add condition
      </button>
      <div class="rule-options">
        <label class="field">
          <span>Sort by</span>
          <select value={draft.sort} onChange={(e) => set({ sort: inputValue(e) })}>
            {SORTS.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
          </select>
        </label>
        {draft.sort !== '' && draft.sort !== 'random' && (
          <label class="rule-check">
            <input type="checkbox" checked={draft.descending} onChange={(e) => set({ descending: (e.currentTarget as HTMLInputElement).checked })} />
            Descending
          </label>
        )}
        <label class="field">
          <span>Limit (tracks, empty for none)</span>
          <input type="number" min="0" max="10000" value={draft.limit} onInput={(e) => set({ limit: inputValue(e) })} />
        </label>
      </div>
    </fieldset>
  );
}

interface Loaded {
  name: string;
  rules: RulesDocument | null;
}

export default function SmartEditor() {
  const { params } = useRoute();
  const { route } = useLocation();
  const playlistId = params.id && params.id !== 'new' ? params.id : null;
  useTitle(playlistId ? 'Edit smart playlist' : 'New smart playlist');
  const loaded = useAsync<Loaded | null>(async (signal) => {
    if (!playlistId) return null;
    const [playlist, rules] = await Promise.all([getPlaylist(playlistId, signal), getRules(playlistId, signal)]);
    return { name: playlist.name, rules: rules.rules };
  }, [playlistId]);

  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [draft, setDraft] = useState<RulesDraft>(emptyDraft);
  const [json, setJson] = useState<string | null>(null); // JSON mode when set
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (loaded.status !== 'ready' || !loaded.data) return;
    setName(loaded.data.name);
    const form = fromRules(loaded.data.rules);
    if (form) {
      setDraft(form);
      setJson(null);
    } else {
      setJson(JSON.stringify(loaded.data.rules ?? { all: [] }, null, 2));
    }
  }, [loaded.status]);

  if (playlistId && loaded.status === 'loading') return <div class="page"><Loading /></div>;
  if (playlistId && loaded.status === 'error') return <div class="page"><ErrorMessage error={loaded.error} onRetry={loaded.reload} /></div>;

  const currentRules = (): { rules: RulesDocument } | { error: string } => {
    if (json === null) return toRules(draft);
    try {
      const doc = JSON.parse(json);
      if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { error: 'The rules are a JSON object.' };
      return { rules: doc as RulesDocument };
    } catch (cause) {
      return { error: `The rules are not valid JSON: ${(cause as Error).message}` };
    }
  };

  const toggleJson = () => {
    if (json === null) {
      const r = toRules(draft);
      setJson(JSON.stringify('rules' in r ? r.rules : { all: [] }, null, 2));
      return;
    }
    const r = currentRules();
    const form = 'rules' in r ? fromRules(r.rules) : null;
    if (!form) {
      setError('These rules cannot be shown as a form (nested groups or several sort keys); keep editing them as JSON.');
      return;
    }
    setDraft(form);
    setJson(null);
    setError(null);
  };

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    const r = currentRules();
    if ('error' in r) {
      setError(r.error);
      return;
    }
    if (!playlistId && !name.trim()) {
      setError('Give the playlist a name.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (playlistId) {
        await putRules(playlistId, r.rules);
        route(`/playlist/${encodeURIComponent(playlistId)}`);
      } else {
        const created = await createSmartPlaylist(name.trim(), description.trim(), r.rules);
        route(`/playlist/${encodeURIComponent(created.id)}`);
      }
    } catch (cause) {
      setError(describeError(cause));
      setBusy(false);
    }
  };

  const onDelete = async () => {
    if (!playlistId) return;
    if (!confirm(`Delete the rules of “${name}”? The playlist stays, with the tracks it holds now, as an ordinary playlist.`)) return;
    setBusy(true);
    setError(null);
    try {
      await deleteRules(playlistId);
      route('/smart');
    } catch (cause) {
      setError(describeError(cause));
      setBusy(false);
    }
  };

  return (
    <div class="page smart-editor">
      <div class="page-head">
        <h1>{playlistId ? `Edit “${name}”` : 'New smart playlist'}</h1>
        <a class="section-link" href="/smart">All smart playlists</a>
      </div>
      <form class="details-form smart-form" onSubmit={onSubmit} aria-label="Smart playlist">
        {!playlistId && (
          <>
            <label class="field">
              <span>Name</span>
              <input type="text" value={name} maxLength={200} required onInput={(e) => setName(inputValue(e))} />
            </label>
            <label class="field">
              <span>Description</span>
              <input type="text" value={description} maxLength={1000} onInput={(e) => setDescription(inputValue(e))} />
            </label>
          </>
        )}
        {json === null ? <RulesForm draft={draft} setDraft={setDraft} /> : (
          <label class="field">
            <span>Rules (JSON, as in a Navidrome .nsp file)</span>
            <textarea class="rules-json" rows={14} spellcheck={false} value={json} onInput={(e) => setJson(inputValue(e))} />
          </label>
        )}
        <button type="button" class="button button-secondary button-small" onClick={toggleJson}>
          {json === null ? 'Edit as JSON' : 'Edit as form'}
        </button>
        {error && <p class="form-error" role="alert">{error}</p>}
        <div class="button-row">
          <button type="submit" class="button" disabled={busy}>{busy ? 'Saving…' : playlistId ? 'Save rules' : 'Create'}</button>
          {playlistId && <button type="button" class="button button-outline" disabled={busy} onClick={() => void onDelete()}>Delete rules</button>}
          <a class="button button-secondary" href={playlistId ? `/playlist/${encodeURIComponent(playlistId)}` : '/smart'}>Cancel</a>
        </div>
      </form>
    </div>
  );
}
