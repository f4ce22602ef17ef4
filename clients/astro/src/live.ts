/**
 * A live loader for Astro's live content collections: pages rendered on request read the CMS at
 * that moment instead of at build time. With a `read-drafts` preview token (`previewToken`,
 * default `CMS_PREVIEW_TOKEN`) they show drafts: the owner's preview of an unpublished entry.
 *
 * Live collections need Astro 6+ (stable there), or Astro 5.10+ with
 * `experimental.liveContentCollections`, and an adapter for on-demand rendering.
 *
 * Every filter also takes a `locale` (`getLiveCollection("projects", { locale: "de" })`,
 * `getLiveEntry("projects", { slug, locale })`), which wins over the loader's `locale` option.
 *
 * ```ts
 * // src/live.config.ts
 * import { defineLiveCollection } from "astro:content";
 * import { cmsLiveLoader } from "@portfolio-cms/astro";
 * export const collections = { projects: defineLiveCollection({ loader: cmsLiveLoader("projects") }) };
 * ```
 */
import type { LiveLoader } from "astro/loaders";
import { CmsApiError, type CmsClient, type CmsClientOptions, createCmsClient, type GetPath } from "./client.js";
import {
  queryOf,
  type Section,
  SECTIONS,
  type SectionData,
  type SectionFilter,
  type SectionName,
} from "./sections.js";

export interface CmsLiveLoaderOptions extends CmsClientOptions {
  /** A client to reuse (its own options win over the ones above). */
  client?: CmsClient;
}

/**
 * How `getLiveEntry()` names an entry: by its id (a string is passed as `{ id }`): the API id,
 * a project's slug (or numeric id), a technology's name, `"personal-info"` or `"resume"`.
 */
export interface CmsLiveEntryFilter {
  id: string | number;
}

/** A project is also found by `{ slug }`. */
export type CmsLiveProjectFilter = CmsLiveEntryFilter | { slug: string };

/** A locale tag of the CMS for one call (`?locale=`); default: the loader's `locale` option. */
export interface CmsLiveLocaleFilter {
  locale?: string;
}

/** The entry filter of section `N`. */
export type CmsLiveEntryFilterOf<N extends SectionName> = (N extends "projects"
  ? CmsLiveProjectFilter
  : CmsLiveEntryFilter) &
  CmsLiveLocaleFilter;

/** The collection filter of section `N`: the API's query parameters of it, and a locale. */
export type CmsLiveCollectionFilterOf<N extends SectionName> = ([SectionFilter<N>] extends [never]
  ? unknown
  : SectionFilter<N>) &
  CmsLiveLocaleFilter;

/**
 * A live loader of section `N`: entries typed as the API's answers, the API's query parameters
 * as collection filters (`featured` for projects, `category` and `featured` for skills),
 * and failures returned as a `CmsApiError` (`{ error }`), as Astro expects of live loaders.
 */
export type CmsLiveLoader<N extends SectionName> = LiveLoader<
  SectionData<N>,
  CmsLiveEntryFilterOf<N>,
  CmsLiveCollectionFilterOf<N>,
  CmsApiError
>;

type Entry<T> = { id: string; data: T };
type Failure = { error: CmsApiError };

/** The CMS's failures as the `{ error }` a live loader returns; Astro wraps anything else (a bug). */
function failure(error: unknown): Failure {
  if (error instanceof CmsApiError) return { error };
  throw error;
}

function entryOf<P extends GetPath, T>(section: Section<P, T, never>, item: unknown, url: string): Entry<T> {
  const parsed = section.schema.safeParse(item);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "";
    throw new CmsApiError(
      `Portfolio CMS: GET ${url} answered data that does not match the ${section.name} schema ` +
        `(${where}); is the package as new as the API?`,
      "invalid-response",
      url,
    );
  }
  const data = parsed.data;
  return { id: typeof section.id === "string" ? section.id : section.id(data), data };
}

function keyOf(filter: Record<string, unknown>): string | undefined {
  const key = filter.slug ?? filter.id;
  return key === undefined || key === null || key === "" ? undefined : String(key);
}

/**
 * A live loader for one section of the CV, for `defineLiveCollection()` in `src/live.config.ts`.
 *
 * `getLiveCollection(name, filter)` lists the section (single documents: one entry);
 * `getLiveEntry(name, id)` fetches one entry (projects by slug or id, experience by id, through
 * the API's own paths), or answers "not found" (Astro's `LiveEntryNotFoundError`).
 */
export function cmsLiveLoader<N extends SectionName>(
  name: N,
  options: CmsLiveLoaderOptions = {},
): CmsLiveLoader<N> {
  if (!Object.hasOwn(SECTIONS, name)) {
    throw new CmsApiError(
      `Portfolio CMS: no section ${JSON.stringify(name)}; use one of ${Object.keys(SECTIONS).join(", ")}.`,
      "config",
      null,
    );
  }
  const section = SECTIONS[name] as unknown as Section<GetPath, SectionData<N>, never>;
  const clients = new Map<string, CmsClient>();
  if (options.client) clients.set(options.client.locale ?? "", options.client);
  const fallback = options.client?.locale ?? options.locale?.trim() ?? "";
  // Made on first use: a missing CMS_API_URL is then an error of the page, not of the server.
  function client(locale: string): CmsClient {
    let found = clients.get(locale);
    if (found === undefined) {
      found = createCmsClient({ ...options, locale: locale || undefined });
      clients.set(locale, found);
    }
    return found;
  }
  function localeOf(filter: Record<string, unknown> | undefined): string {
    const asked = filter?.locale;
    return typeof asked === "string" && asked.trim() ? asked.trim() : fallback;
  }

  async function list(cms: CmsClient, filter?: Record<string, unknown>): Promise<Entry<SectionData<N>>[]> {
    const query = queryOf(section, filter);
    const url = cms.url(section.path, { query: query as never });
    let data: unknown;
    try {
      const response = await cms.get(section.path, { query: query as never });
      // No ETag is sent, so the answer is never a 304.
      data = response.notModified ? undefined : response.data;
    } catch (error) {
      // A single document not entered yet: a collection of no entries.
      if (!section.list && error instanceof CmsApiError && error.status === 404) return [];
      throw error;
    }
    if (section.list && !Array.isArray(data)) {
      throw new CmsApiError(`Portfolio CMS: GET ${url} did not answer a list.`, "invalid-response", url);
    }
    return (section.list ? (data as unknown[]) : [data]).map((item) => entryOf(section, item, url));
  }

  async function one(cms: CmsClient, key: string): Promise<Entry<SectionData<N>> | undefined> {
    if (!section.one) return (await list(cms)).find((entry) => entry.id === key);
    const url = cms.url(section.path);
    try {
      const item = await section.one(cms, key);
      return item === undefined ? undefined : entryOf(section, item, `${url}/${encodeURIComponent(key)}`);
    } catch (error) {
      if (error instanceof CmsApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  return {
    name: `portfolio-cms:${section.name}`,
    async loadCollection({ filter }) {
      try {
        const asked = filter as Record<string, unknown> | undefined;
        return { entries: await list(client(localeOf(asked)), asked) };
      } catch (error) {
        return failure(error);
      }
    },
    async loadEntry({ filter }) {
      const asked = filter as unknown as Record<string, unknown>;
      const key = keyOf(asked);
      if (key === undefined) {
        return failure(
          new CmsApiError(
            `Portfolio CMS: getLiveEntry() on ${section.name} needs an id` +
              (name === "projects" ? " or a slug." : "."),
            "config",
            null,
          ),
        );
      }
      try {
        return await one(client(localeOf(asked)), key);
      } catch (error) {
        return failure(error);
      }
    },
  } as CmsLiveLoader<N>;
}
