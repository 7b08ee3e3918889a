// The REST API as the dashboards use it: same origin, the session cookie, and the page's CSRF
// token on every change. Errors carry the server's message, which is written for people.
const CSRF = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = CSRF;
  const form = body instanceof FormData;  // files: multipart, its boundary set by the browser
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  const resp = await fetch(`/api/v1${path}`, {
    method, headers, credentials: "same-origin",
    body: body === undefined || form ? body : JSON.stringify(body),
  });
  if (resp.status === 401) {
    window.location.assign("/login");
    throw new ApiError(401, "unauthenticated", "Signed out");
  }
  const data = resp.headers.get("Content-Type")?.includes("json") ? await resp.json() : null;
  if (!resp.ok) {
    const err = data?.error ?? {};
    throw new ApiError(resp.status, err.code ?? "error", err.message ?? `HTTP ${resp.status}`);
  }
  return data;
}
