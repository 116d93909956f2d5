// The API client: the token (when the server asks for one) lives in this tab's
// sessionStorage and travels as an Authorization header on every call — never a
// cookie, so another site's page cannot make this browser act.
const KEY = 'eas-sync-token';

export class Unauthorized extends Error {}

export const token = {
  get: () => sessionStorage.getItem(KEY) ?? '',
  set: (t: string) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = token.get();
  return { ...(t ? { authorization: `Bearer ${t}` } : {}), ...extra };
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

async function answer<T>(r: Response): Promise<T> {
  if (r.status === 401) throw new Unauthorized('token required');
  const body = (await r.json().catch(() => ({}))) as Record<string, unknown>;
  if (!r.ok) throw new ApiError(typeof body.error === 'string' ? body.error : `HTTP ${r.status}`, r.status, body);
  return body as T;
}

export async function get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, v);
  const qs = q.toString();
  return answer<T>(await fetch(`${path}${qs ? `?${qs}` : ''}`, { headers: headers() }));
}

export async function post<T>(path: string, body: string, query: Record<string, string> = {}): Promise<T> {
  const qs = new URLSearchParams(query).toString();
  return answer<T>(
    await fetch(`${path}${qs ? `?${qs}` : ''}`, { method: 'POST', body, headers: headers({ 'content-type': 'application/json' }) }),
  );
}

/** Downloads a response as a file (a plain link cannot carry the token). */
export async function download(path: string, query: Record<string, string | undefined>, name: string): Promise<void> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, v);
  const r = await fetch(`${path}?${q.toString()}`, { headers: headers() });
  if (r.status === 401) throw new Unauthorized('token required');
  if (!r.ok) throw new ApiError(`HTTP ${r.status}`, r.status, {});
  saveBlob(await r.blob(), name);
}

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
