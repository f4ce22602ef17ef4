/**
 * A small typed fetch client for the Portfolio CMS public API.
 *
 * Paths, query parameters and response bodies are typed from `openapi.ts`, which is generated
 * from the API's own OpenAPI document (`python scripts/astro_types.py`). Conditional requests
 * (`If-None-Match`) are first class: a 304 comes back as `{ notModified: true }`.
 */
import type { components, paths } from "./openapi.js";

type Schemas = components["schemas"];

export type PersonalInfo = Schemas["PersonalInfoPublic"];
export type Profile = Schemas["ProfilePublic"];
export type Location = Schemas["LocationPublic"];
export type Experience = Schemas["ExperiencePublic"];
export type Project = Schemas["ProjectPublic"];
export type Skill = Schemas["SkillPublic"];
export type Education = Schemas["EducationPublic"];
export type Volunteer = Schemas["VolunteerPublic"];
export type Award = Schemas["AwardPublic"];
export type Certificate = Schemas["CertificatePublic"];
export type Publication = Schemas["PublicationPublic"];
export type Language = Schemas["LanguagePublic"];
export type Interest = Schemas["InterestPublic"];
export type Reference = Schemas["ReferencePublic"];
export type Technology = Schemas["TechnologyPublic"];
export type Resume = Schemas["ResumePublic"];
export type ApiErrorBody = Schemas["ErrorResponse"];

/** `GET /api/v1/locales`: the languages the CV is written in, the default first. */
export interface CmsLocales {
  /** The tag answered when a request names no locale. */
  default: string;
  locales: { tag: string; name: string }[];
}

/** Every API path that answers GET with JSON. */
export type GetPath = {
  [P in keyof paths]: paths[P] extends { get: { responses: { 200: unknown } } } ? P : never;
}[keyof paths];

type GetOperation<P extends GetPath> = paths[P]["get"];

/** The JSON body of a 200 answer on `P`. */
export type ResponseOf<P extends GetPath> = GetOperation<P>["responses"][200] extends {
  content: { "application/json": infer Body };
}
  ? Body
  : never;

/** The query parameters `P` accepts. */
export type QueryOf<P extends GetPath> = GetOperation<P>["parameters"] extends {
  query?: infer Query;
}
  ? NonNullable<Query>
  : never;

/** The path parameters `P` needs. */
export type PathParamsOf<P extends GetPath> = GetOperation<P>["parameters"] extends {
  path: infer Params;
}
  ? Params
  : never;

export interface CmsClientOptions {
  /**
   * Where the CMS is served, e.g. `https://cms.example.com` or an API Gateway stage URL
   * (`https://abc.execute-api.eu-west-1.amazonaws.com/prod`). Default: `CMS_API_URL`.
   */
  baseUrl?: string;
  /** Milliseconds to wait for one answer before giving up. Default: 10 000. */
  timeoutMs?: number;
  /**
   * How many times to try again after a network error, a timeout, 429 or 502–504
   * (a Lambda cold start behind API Gateway). Default: 2.
   */
  retries?: number;
  /** Milliseconds before the first retry; doubles each time. Default: 500. */
  retryDelayMs?: number;
  /** Extra request headers (e.g. a CDN bypass token). */
  headers?: Record<string, string>;
  /**
   * A `read-drafts` API token (`cms token create NAME --scope read-drafts`), sent as
   * `X-API-Key`: the API then answers with drafts included. Default: `CMS_PREVIEW_TOKEN`;
   * `null` sends none even when that variable is set. The token is never logged.
   */
  previewToken?: string | null;
  /**
   * A locale tag of the CMS (its `LOCALES` setting, e.g. `"de"`), sent as `?locale=<tag>` on
   * every request: texts in that language, each falling back to the default locale's where
   * it has no translation. A tag the CMS does not know fails with its 404. Default: none,
   * the CMS's default locale.
   */
  locale?: string;
  /** A `fetch` implementation. Default: the global one (Node 18+). */
  fetch?: typeof fetch;
}

export interface RequestOptions<P extends GetPath> {
  query?: QueryOf<P>;
  params?: PathParamsOf<P>;
  /** Send `If-None-Match` with this ETag: the answer may then be a 304. */
  etag?: string | null;
  signal?: AbortSignal;
}

export type CmsResponse<T> =
  | { notModified: false; status: number; data: T; etag: string | null; url: string }
  | { notModified: true; status: 304; etag: string | null; url: string };

export type CmsErrorKind = "config" | "unreachable" | "timeout" | "http" | "invalid-response";

/** Why a request to the CMS failed, with a message meant for a build log. */
export class CmsApiError extends Error {
  override readonly name = "CmsApiError";

  constructor(
    message: string,
    readonly kind: CmsErrorKind,
    readonly url: string | null,
    readonly status: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** The environment variable a preview token is read from when no `previewToken` is given. */
export const PREVIEW_TOKEN_ENV = "CMS_PREVIEW_TOKEN";

function env(name: string): string | undefined {
  const vars = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  return vars?.[name]?.trim() || undefined;
}

function envBaseUrl(): string | undefined {
  return env("CMS_API_URL");
}

/** The preview token to send (explicit option first, then `CMS_PREVIEW_TOKEN`), if any. */
export function resolvePreviewToken(previewToken?: string | null): string | undefined {
  if (previewToken === undefined) return env(PREVIEW_TOKEN_ENV);
  return previewToken?.trim() || undefined;
}

/** Resolve and check the base URL (explicit option first, then `CMS_API_URL`). */
export function resolveBaseUrl(baseUrl?: string): string {
  const value = baseUrl ?? envBaseUrl();
  if (!value) {
    throw new CmsApiError(
      "Portfolio CMS: no API URL. Set CMS_API_URL (e.g. CMS_API_URL=http://127.0.0.1:8000) " +
        "or pass { baseUrl } to the loader.",
      "config",
      null,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new CmsApiError(
      `Portfolio CMS: the API URL ${JSON.stringify(value)} is not an absolute http(s) URL.`,
      "config",
      null,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new CmsApiError(
      `Portfolio CMS: the API URL must start with http:// or https:// (got ${parsed.protocol}).`,
      "config",
      null,
    );
  }
  parsed.search = "";
  parsed.hash = "";
  return parsed.toString().replace(/\/+$/, "");
}

function buildUrl(base: string, path: string, params?: unknown, query?: unknown, locale?: string): string {
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = (params as Record<string, unknown> | undefined)?.[name];
    if (value === undefined || value === null || value === "") {
      throw new CmsApiError(`Portfolio CMS: missing path parameter "${name}" for ${path}.`, "config", null);
    }
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (value !== undefined && value !== null) search.append(key, String(value));
  }
  if (locale) search.set("locale", locale);
  const qs = search.toString();
  return `${base}${filled}${qs ? `?${qs}` : ""}`;
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth += 1) {
    const { code, cause, errors } = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === "string") return code;
    // Node's fetch wraps the socket error: cause, then an AggregateError of one per address.
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return undefined;
}

async function errorDetail(response: Response): Promise<string> {
  try {
    const text = await response.text();
    try {
      const body = JSON.parse(text) as Partial<ApiErrorBody>;
      if (typeof body.error === "string") return body.error;
    } catch {
      // Not the API's JSON error shape (a proxy's HTML page, say): show a short excerpt.
    }
    return text.replace(/\s+/g, " ").trim().slice(0, 200);
  } catch {
    return "";
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A typed client for the public API. */
export interface CmsClient {
  readonly baseUrl: string;
  /** Whether requests carry a preview token (answers then include drafts). */
  readonly preview: boolean;
  /** The locale every request asks for (`?locale=`), if one was given. */
  readonly locale: string | undefined;
  /** The absolute URL a GET of `path` with these options asks for. */
  url<P extends GetPath>(path: P, options?: Pick<RequestOptions<P>, "query" | "params">): string;
  /** GET a path; with `etag`, a 304 answer comes back as `{ notModified: true }`. */
  get<P extends GetPath>(path: P, options?: RequestOptions<P>): Promise<CmsResponse<ResponseOf<P>>>;
  personalInfo(): Promise<PersonalInfo>;
  experience(): Promise<Experience[]>;
  experienceById(id: number): Promise<Experience>;
  projects(query?: QueryOf<"/api/v1/projects">): Promise<Project[]>;
  project(idOrSlug: string | number): Promise<Project>;
  skills(query?: QueryOf<"/api/v1/skills">): Promise<Skill[]>;
  education(): Promise<Education[]>;
  volunteer(): Promise<Volunteer[]>;
  awards(): Promise<Award[]>;
  certificates(): Promise<Certificate[]>;
  publications(): Promise<Publication[]>;
  languages(): Promise<Language[]>;
  interests(): Promise<Interest[]>;
  references(): Promise<Reference[]>;
  technologies(): Promise<Technology[]>;
  resume(): Promise<Resume>;
  /** The CMS's locales (`GET /api/v1/locales`), the default one named. */
  locales(): Promise<CmsLocales>;
}

/** Create a client; the base URL defaults to the `CMS_API_URL` environment variable. */
export function createCmsClient(options: CmsClientOptions = {}): CmsClient {
  const baseUrl = resolveBaseUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = Math.max(0, options.retries ?? 2);
  const retryDelayMs = options.retryDelayMs ?? 500;
  const doFetch = options.fetch ?? globalThis.fetch;
  // Kept in this closure only: never a property of the client, so logging the client shows none.
  const previewToken = resolvePreviewToken(options.previewToken);
  const locale = options.locale?.trim() || undefined;

  async function once(url: string, headers: Record<string, string>, signal?: AbortSignal) {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      return await doFetch(url, {
        headers,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (timeout.aborted) {
        throw new CmsApiError(
          `Portfolio CMS: GET ${url} timed out after ${timeoutMs} ms ` +
            "(is the API up? raise timeoutMs if it is just slow).",
          "timeout",
          url,
          null,
          { cause: error },
        );
      }
      const code = networkCode(error);
      throw new CmsApiError(
        `Portfolio CMS: cannot reach ${url}${code ? ` (${code})` : ""}. ` +
          "Is the CMS running, and is CMS_API_URL right?",
        "unreachable",
        url,
        null,
        { cause: error },
      );
    }
  }

  function get<P extends GetPath>(path: P, request: RequestOptions<P> = {}): Promise<CmsResponse<ResponseOf<P>>> {
    const url = buildUrl(baseUrl, path, request.params, request.query, locale);
    return fetchJson<ResponseOf<P>>(url, request.etag, request.signal);
  }

  async function fetchJson<T>(
    url: string,
    etag: string | null | undefined,
    signal: AbortSignal | undefined,
  ): Promise<CmsResponse<T>> {
    const request = { etag, signal };
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    if (previewToken) headers["X-API-Key"] = previewToken;
    if (request.etag) headers["If-None-Match"] = request.etag;
    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      try {
        response = await once(url, headers, request.signal);
      } catch (error) {
        if (error instanceof CmsApiError && attempt < retries) {
          await sleep(retryDelayMs * 2 ** attempt);
          continue;
        }
        throw error;
      }
      if (RETRY_STATUSES.has(response.status) && attempt < retries) {
        await response.body?.cancel();
        await sleep(retryDelayMs * 2 ** attempt);
        continue;
      }
      const answered = response.headers.get("etag");
      if (response.status === 304) {
        return { notModified: true, status: 304, etag: answered ?? request.etag ?? null, url };
      }
      if (!response.ok) {
        const detail = await errorDetail(response);
        const hint =
          response.status === 401 && previewToken
            ? ` (the preview token — previewToken or ${PREVIEW_TOKEN_ENV} — is unknown, revoked, ` +
              "expired or not a read-drafts token)"
            : "";
        throw new CmsApiError(
          `Portfolio CMS: GET ${url} answered ${response.status}` +
            (detail ? `: ${detail}` : ".") +
            hint,
          "http",
          url,
          response.status,
        );
      }
      let data: T;
      try {
        data = (await response.json()) as T;
      } catch (error) {
        throw new CmsApiError(
          `Portfolio CMS: GET ${url} did not return JSON (is CMS_API_URL the CMS, not a web page?).`,
          "invalid-response",
          url,
          response.status,
          { cause: error },
        );
      }
      return { notModified: false, status: response.status, data, etag: answered, url };
    }
  }

  async function data<P extends GetPath>(path: P, request?: RequestOptions<P>) {
    const response = await get(path, request);
    if (response.notModified) {
      throw new CmsApiError(`Portfolio CMS: unexpected 304 for ${response.url}.`, "http", response.url, 304);
    }
    return response.data;
  }

  return {
    baseUrl,
    preview: previewToken !== undefined,
    locale,
    url: (path, request) => buildUrl(baseUrl, path, request?.params, request?.query, locale),
    get,
    personalInfo: () => data("/api/v1/personal-info"),
    experience: () => data("/api/v1/experience"),
    experienceById: (id) => data("/api/v1/experience/{experience_id}", { params: { experience_id: id } }),
    projects: (query) => data("/api/v1/projects", { query }),
    project: (idOrSlug) => data("/api/v1/projects/{id_or_slug}", { params: { id_or_slug: String(idOrSlug) } }),
    skills: (query) => data("/api/v1/skills", { query }),
    education: () => data("/api/v1/education"),
    volunteer: () => data("/api/v1/volunteer"),
    awards: () => data("/api/v1/awards"),
    certificates: () => data("/api/v1/certificates"),
    publications: () => data("/api/v1/publications"),
    languages: () => data("/api/v1/languages"),
    interests: () => data("/api/v1/interests"),
    references: () => data("/api/v1/references"),
    technologies: () => data("/api/v1/technologies"),
    resume: () => data("/api/v1/resume"),
    locales: async () => {
      // The list of locales is the same in every locale: asked without one.
      const response = await fetchJson<CmsLocales>(buildUrl(baseUrl, "/api/v1/locales"), null, undefined);
      if (response.notModified) throw new CmsApiError("Portfolio CMS: unexpected 304.", "http", response.url, 304);
      return response.data;
    },
  };
}
