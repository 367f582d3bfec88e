// The access token the dashboard sends (Bearer on HTTP, `?token=` on the WebSocket), kept in this
// tab's sessionStorage so that a reload keeps the login but closing the tab forgets it.

const STORAGE_KEY = 'vane.token';

export function loadToken(): string {
  return sessionStorage.getItem(STORAGE_KEY) ?? '';
}

export function saveToken(token: string): void {
  if (token === '') sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, token);
}
