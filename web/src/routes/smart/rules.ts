// The rule editor's model: the server's rule vocabulary (docs/formats/smart-playlists.md) and the
// conversion between the editor's flat form (one all/any group of conditions, one sort key, a
// limit) and the rules document. Rules the form cannot show (nested groups, several sort keys)
// are edited as JSON instead.
import type { RulesDocument } from '../../api/smart';

export type FieldType = 'text' | 'number' | 'date' | 'bool';

export interface FieldInfo {
  name: string;
  label: string;
  type: FieldType;
  /** What a number means, shown beside the input. */
  unit?: string;
}

export const FIELDS: FieldInfo[] = [
  { name: 'title', label: 'Title', type: 'text' },
  { name: 'artist', label: 'Artist', type: 'text' },
  { name: 'album', label: 'Album', type: 'text' },
  { name: 'albumartist', label: 'Album artist', type: 'text' },
  { name: 'genre', label: 'Genre', type: 'text' },
  { name: 'year', label: 'Year', type: 'number' },
  { name: 'duration', label: 'Duration', type: 'number', unit: 'seconds' },
  { name: 'dateadded', label: 'Date added', type: 'date' },
  { name: 'playcount', label: 'Play count', type: 'number', unit: 'plays' },
  { name: 'lastplayed', label: 'Last played', type: 'date' },
  { name: 'saved', label: 'Saved in Your Library', type: 'bool' },
  { name: 'tempo', label: 'Tempo', type: 'number', unit: 'BPM' },
  { name: 'energy', label: 'Energy', type: 'number', unit: '0–1' },
  { name: 'danceability', label: 'Danceability', type: 'number', unit: '0–1' },
  { name: 'valence', label: 'Valence (mood)', type: 'number', unit: '0–1' },
  { name: 'acousticness', label: 'Acousticness', type: 'number', unit: '0–1' },
  { name: 'instrumentalness', label: 'Instrumentalness', type: 'number', unit: '0–1' },
  { name: 'speechiness', label: 'Speechiness', type: 'number', unit: '0–1' },
  { name: 'liveness', label: 'Liveness', type: 'number', unit: '0–1' },
  { name: 'loudness', label: 'Loudness', type: 'number', unit: 'dB' },
  { name: 'key', label: 'Key', type: 'number', unit: '0 = C … 11 = B' },
  { name: 'mode', label: 'Mode', type: 'number', unit: '1 major, 0 minor' },
];

export const OPERATORS: Record<FieldType, { op: string; label: string }[]> = {
  text: [
    { op: 'contains', label: 'contains' },
    { op: 'notContains', label: 'does not contain' },
    { op: 'is', label: 'is' },
    { op: 'isNot', label: 'is not' },
    { op: 'startsWith', label: 'starts with' },
    { op: 'endsWith', label: 'ends with' },
  ],
  number: [
    { op: 'inTheRange', label: 'is between' },
    { op: 'gt', label: 'is greater than' },
    { op: 'lt', label: 'is less than' },
    { op: 'is', label: 'is' },
    { op: 'isNot', label: 'is not' },
  ],
  date: [
    { op: 'inTheLast', label: 'in the last (days)' },
    { op: 'notInTheLast', label: 'not in the last (days)' },
    { op: 'after', label: 'is after' },
    { op: 'before', label: 'is before' },
    { op: 'inTheRange', label: 'is between' },
  ],
  bool: [
    { op: 'is', label: 'is' },
    { op: 'isNot', label: 'is not' },
  ],
};

/** Sort keys the form offers ("" keeps the catalog's order). */
export const SORTS: { value: string; label: string }[] = [
  { value: '', label: 'Catalog order' },
  { value: 'random', label: 'Random' },
  ...FIELDS.filter((f) => f.type !== 'bool').map((f) => ({ value: f.name, label: f.label })),
];

export interface ConditionDraft {
  field: string;
  op: string;
  value: string;
  /** The end of a range. */
  value2: string;
}

export interface RulesDraft {
  match: 'all' | 'any';
  conditions: ConditionDraft[];
  sort: string;
  descending: boolean;
  limit: string;
  /** Kept from the rules read, so a random order stays the same. */
  seed?: number;
}

export function fieldInfo(name: string): FieldInfo {
  return FIELDS.find((f) => f.name === name) ?? FIELDS[0];
}

export function newCondition(field = 'genre'): ConditionDraft {
  const type = fieldInfo(field).type;
  return { field, op: OPERATORS[type][0].op, value: type === 'bool' ? 'true' : '', value2: '' };
}

export function emptyDraft(): RulesDraft {
  return { match: 'all', conditions: [newCondition()], sort: '', descending: false, limit: '' };
}

/** The same condition on another field: the operator kept if that field's type has it. */
export function withField(c: ConditionDraft, field: string): ConditionDraft {
  const from = fieldInfo(c.field).type;
  const to = fieldInfo(field).type;
  if (from === to) return { ...c, field };
  return newCondition(field);
}

const isRange = (op: string) => op === 'inTheRange';

// A number as typed, as a number when it is one (the server names anything else it refuses).
function numberOrText(s: string): number | string {
  const t = s.trim();
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
}

function valueOf(c: ConditionDraft): unknown {
  const type = fieldInfo(c.field).type;
  if (type === 'bool') return c.value === 'true';
  if (type === 'text') return c.value;
  if (type === 'date' && (c.op === 'inTheLast' || c.op === 'notInTheLast')) return numberOrText(c.value);
  if (isRange(c.op)) {
    const convert = type === 'number' ? numberOrText : (s: string) => s.trim();
    return [convert(c.value), convert(c.value2)];
  }
  return type === 'number' ? numberOrText(c.value) : c.value.trim();
}

/** The rules document of a draft, or the first thing the user must fix. */
export function toRules(draft: RulesDraft): { rules: RulesDocument } | { error: string } {
  if (draft.conditions.length === 0) return { error: 'Add at least one condition.' };
  for (const [i, c] of draft.conditions.entries()) {
    const type = fieldInfo(c.field).type;
    if (type !== 'bool' && c.value.trim() === '') return { error: `Condition ${i + 1}: give a value.` };
    if (isRange(c.op) && c.value2.trim() === '') return { error: `Condition ${i + 1}: give both ends of the range.` };
  }
  const rules: RulesDocument = {
    [draft.match]: draft.conditions.map((c) => ({ [c.op]: { [c.field]: valueOf(c) } })),
  };
  if (draft.sort) rules.sort = draft.sort === 'random' ? 'random' : `${draft.descending ? '-' : ''}${draft.sort}`;
  if (draft.limit.trim() !== '') {
    const n = Number(draft.limit);
    if (!Number.isInteger(n) || n < 0) return { error: 'The limit is a whole number of tracks (0 for none).' };
    if (n > 0) rules.limit = n;
  }
  if (draft.seed !== undefined && draft.sort === 'random') rules.seed = draft.seed;
  return { rules };
}

const text = (v: unknown) => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v : null);

/** The form's draft of a rules document, or null when the form cannot show it (edit as JSON). */
export function fromRules(doc: RulesDocument | null | undefined): RulesDraft | null {
  if (!doc) return null;
  const match = 'all' in doc ? 'all' : 'any' in doc ? 'any' : null;
  if (!match || ('all' in doc && 'any' in doc)) return null;
  const group = doc[match];
  if (!Array.isArray(group)) return null;
  const conditions: ConditionDraft[] = [];
  for (const node of group) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return null;
    const ops = Object.entries(node as Record<string, unknown>);
    if (ops.length !== 1) return null;
    const [op, inner] = ops[0];
    if (op === 'all' || op === 'any' || !inner || typeof inner !== 'object' || Array.isArray(inner)) return null;
    const fields = Object.entries(inner as Record<string, unknown>);
    if (fields.length !== 1) return null;
    const [field, value] = fields[0];
    const info = FIELDS.find((f) => f.name === field);
    if (!info || !OPERATORS[info.type].some((o) => o.op === op)) return null;
    if (info.type === 'bool') {
      if (typeof value !== 'boolean') return null;
      conditions.push({ field, op, value: String(value), value2: '' });
    } else if (Array.isArray(value)) {
      if (value.length !== 2 || text(value[0]) === null || text(value[1]) === null) return null;
      conditions.push({ field, op, value: text(value[0])!, value2: text(value[1])! });
    } else {
      if (text(value) === null) return null;
      conditions.push({ field, op, value: text(value)!, value2: '' });
    }
  }
  const draft: RulesDraft = { match, conditions, sort: '', descending: false, limit: '' };
  const sort = doc.sort;
  if (sort !== undefined) {
    if (typeof sort !== 'string' || sort.includes(',')) return null;
    const descending = sort.startsWith('-');
    const key = sort.replace(/^[-+]/, '');
    if (!SORTS.some((s) => s.value === key)) return null;
    draft.sort = key;
    draft.descending = descending;
  }
  if (typeof doc.limit === 'number') draft.limit = String(doc.limit);
  if (typeof doc.seed === 'number') draft.seed = doc.seed;
  const known = new Set(['all', 'any', 'sort', 'limit', 'seed']);
  if (Object.keys(doc).some((k) => !known.has(k))) return null;
  return draft;
}

/** One line saying what rules select, for lists: "Tempo is between 118 and 135 · 2 more". */
export function summary(doc: RulesDocument | null | undefined): string {
  const draft = fromRules(doc);
  if (!draft) return doc ? 'Custom rules' : 'No rules';
  const first = draft.conditions[0];
  if (!first) return 'No conditions';
  const info = fieldInfo(first.field);
  const op = OPERATORS[info.type].find((o) => o.op === first.op)?.label ?? first.op;
  const value = info.type === 'bool' ? (first.value === 'true' ? 'yes' : 'no')
    : isRange(first.op) ? `${first.value} and ${first.value2}` : first.value;
  const more = draft.conditions.length - 1;
  return `${info.label} ${op} ${value}${more > 0 ? ` · ${more} more (${draft.match === 'all' ? 'all' : 'any'} must match)` : ''}`;
}
