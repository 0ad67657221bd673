// The private-session switch: shows the saved setting, saves a change, and falls back when the
// server refuses it.
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Account } from './Account';

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const settle = async () => {
  for (let i = 0; i < 5; i++) await act(async () => { await new Promise((r) => setTimeout(r, 0)); });
};

describe('Account', () => {
  let root: HTMLElement;
  let saved: boolean;
  let refuse: boolean;
  let puts: unknown[];

  beforeEach(() => {
    root = document.createElement('div');
    document.body.append(root);
    saved = false;
    refuse = false;
    puts = [];
    localStorage.setItem('segue.tokens', JSON.stringify({
      accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000, lifetimeMs: 3_600_000, scope: '', clientId: 'c',
    }));
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      const path = new URL(url, 'http://x').pathname;
      if (path === '/v1/me') return json({ id: 'u1', display_name: 'Ana' });
      if (path === '/v1/me/preferences') {
        if ((init.method ?? 'GET') === 'PUT') {
          const body = JSON.parse(init.body as string);
          puts.push(body);
          if (refuse) return json({ error: { status: 500, message: 'no' } }, 500);
          saved = body.private_session;
        }
        return json({ private_session: saved });
      }
      return json({ error: { status: 404, message: 'Not found' } }, 404);
    }));
  });
  afterEach(() => {
    render(null, root);
    root.remove();
    localStorage.clear();
    vi.unstubAllGlobals();
  });

  const toggle = () => root.querySelector<HTMLButtonElement>('button.private-session')!;

  it('turns the private session on and off, saving each change', async () => {
    act(() => render(<Account onLogout={() => undefined} busy={false} />, root));
    await settle();
    expect(toggle().getAttribute('aria-pressed')).toBe('false');
    act(() => toggle().click());
    await settle();
    expect(puts).toEqual([{ private_session: true }]);
    expect(toggle().getAttribute('aria-pressed')).toBe('true');
    expect(toggle().textContent).toBe('Private session on');
    act(() => toggle().click());
    await settle();
    expect(puts).toEqual([{ private_session: true }, { private_session: false }]);
    expect(toggle().getAttribute('aria-pressed')).toBe('false');
  });

  it('shows the saved setting, and goes back when saving fails', async () => {
    saved = true;
    act(() => render(<Account onLogout={() => undefined} busy={false} />, root));
    await settle();
    expect(toggle().getAttribute('aria-pressed')).toBe('true');
    refuse = true;
    act(() => toggle().click());
    await settle();
    expect(toggle().getAttribute('aria-pressed')).toBe('true');
  });
});
