// The ops API as the console uses it: the staff session token (sessionStorage: gone when the
// tab closes), JSON in and out, problem details (RFC 9457) turned into ApiError.

const TOKEN_KEY = "handheld.ops.session";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || "";
    this.title = problem.title || "";
    this.detail = problem.detail || "";
    this.problem = problem;
  }

  /** The route is not there (yet): a panel built on it hides itself. */
  get absent() {
    return this.status === 404;
  }
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
  staff: null,
  onExpired: () => {},
};

export async function api(method, path, body) {
  const headers = { Accept: "application/json", "Accept-Language": "zh-CN" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, { code: "NETWORK", title: "" });
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let payload = null;
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, payload && typeof payload === "object" ? payload : {});
    if (response.status === 401 && session.token) {
      session.token = null;
      session.staff = null;
      session.onExpired(error);
    }
    throw error;
  }
  return payload;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body);

/** GET that answers null when the route is absent (404) or not for this role (403). */
export async function optional(path) {
  try {
    return await get(path);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 403)) return null;
    throw err;
  }
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") q.set(key, value);
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}
