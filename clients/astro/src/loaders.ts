/**
 * Astro content-layer loaders (Astro 5 object loaders: `{ name, load, schema }`) for every
 * section of the CV and for the whole JSON Resume document.
 *
 * Each build asks the API with `If-None-Match` (the ETag kept in the collection's meta store)
 * when the store already holds entries; on 304 the store is kept as it is. A failed request
 * throws, so the build stops with a readable message instead of publishing an empty site.
 *
 * With a preview token (`previewToken`, default `CMS_PREVIEW_TOKEN`) every loader asks for the
 * drafts too: a preview build. For pages rendered on request see `live.ts`.
 */
import type { Loader, LoaderContext } from "astro/loaders";
import type { z } from "astro/zod";
import {
  type Award,
  type Certificate,
  type Education,
  type Experience,
  type Interest,
  type Language,
  type PersonalInfo,
  type Project,
  type Publication,
  type Reference,
  type Resume,
  type Skill,
  type Technology,
  type Volunteer,
  type CmsClient,
  type CmsClientOptions,
  CmsApiError,
  createCmsClient,
  type GetPath,
  type QueryOf,
} from "./client.js";
import { queryOf, type Section, SECTIONS } from "./sections.js";

export interface CmsLoaderOptions extends CmsClientOptions {
  /** A client to reuse (its own options win over the ones above). */
  client?: CmsClient;
  /**
   * For single documents (personal info, resume): treat "not entered yet" (404) as an empty
   * collection instead of failing the build. Default: false.
   */
  optional?: boolean;
}

const ETAG_KEY = "etag";
const URL_KEY = "url";

/** An Astro object loader whose entries' `data` has type `T`. */
export type CmsLoader<T> = Loader & { schema: z.ZodType<T> };

function loader<P extends GetPath, T, F extends keyof QueryOf<P>>(
  section: Section<P, T, F>,
  options: CmsLoaderOptions & Partial<Record<F, unknown>>,
): CmsLoader<T> {
  const query = queryOf(section, options) as QueryOf<P> | undefined;
  return {
    name: `portfolio-cms:${section.name}`,
    schema: section.schema,
    async load(context: LoaderContext): Promise<void> {
      await loadCollection(context, section, options, query);
    },
  };
}

async function loadCollection<P extends GetPath, T, F extends keyof QueryOf<P>>(
  { store, meta, logger, parseData, generateDigest }: LoaderContext,
  section: Section<P, T, F>,
  options: CmsLoaderOptions,
  query?: QueryOf<P>,
): Promise<void> {
  const client = options.client ?? createCmsClient(options);
  // Only a store that still holds the answer for this very URL can be kept on a 304; a preview
  // build's entries (drafts included) and a public build's never stand in for each other.
  const url = client.url(section.path, { query });
  const source = client.preview ? `${url} (preview)` : url;
  const mode = client.preview ? " (preview: drafts included)" : "";
  const etag = store.keys().length > 0 && meta.get(URL_KEY) === source ? meta.get(ETAG_KEY) : undefined;
  let response;
  try {
    response = await client.get(section.path, { query, etag });
  } catch (error) {
    if (options.optional && !section.list && error instanceof CmsApiError && error.status === 404) {
      logger.warn(`${error.message} (optional: the collection is left empty)`);
      store.clear();
      meta.delete(ETAG_KEY);
      return;
    }
    throw error;
  }
  if (response.notModified) {
    logger.info(`${url}: 304 Not Modified, kept ${count(store.keys().length)}${mode}`);
    return;
  }
  const items = (section.list ? response.data : [response.data]) as Record<string, unknown>[];
  const seen = new Set<string>();
  for (const item of items) {
    const id = typeof section.id === "string" ? section.id : section.id(item as T);
    seen.add(id);
    const data = await parseData({ id, data: item });
    store.set({ id, data, digest: generateDigest(item) });
  }
  for (const id of store.keys()) {
    if (!seen.has(id)) store.delete(id);
  }
  if (response.etag) meta.set(ETAG_KEY, response.etag);
  else meta.delete(ETAG_KEY);
  meta.set(URL_KEY, source);
  logger.info(`${url}: loaded ${count(items.length)}${mode}`);
}

const count = (n: number) => `${n} ${n === 1 ? "entry" : "entries"}`;

/** The owner (name, contact, profiles): one entry, id `"personal-info"`. */
export const personalInfoLoader = (options: CmsLoaderOptions = {}): CmsLoader<PersonalInfo> =>
  loader(SECTIONS.personalInfo, options);

/** Work experience with technologies; entry ids are the API ids. */
export const experienceLoader = (options: CmsLoaderOptions = {}): CmsLoader<Experience> =>
  loader(SECTIONS.experience, options);

/** Projects (all, or `{ featured: true }` only); entry ids are the slugs. */
export const projectsLoader = (options: CmsLoaderOptions & QueryOf<"/api/v1/projects"> = {}): CmsLoader<Project> =>
  loader(SECTIONS.projects, options);

/** Skills (optionally of one `category`, or `featured` only); entry ids are the API ids. */
export const skillsLoader = (options: CmsLoaderOptions & QueryOf<"/api/v1/skills"> = {}): CmsLoader<Skill> =>
  loader(SECTIONS.skills, options);

export const educationLoader = (options: CmsLoaderOptions = {}): CmsLoader<Education> =>
  loader(SECTIONS.education, options);

export const volunteerLoader = (options: CmsLoaderOptions = {}): CmsLoader<Volunteer> =>
  loader(SECTIONS.volunteer, options);

export const awardsLoader = (options: CmsLoaderOptions = {}): CmsLoader<Award> => loader(SECTIONS.awards, options);

export const certificatesLoader = (options: CmsLoaderOptions = {}): CmsLoader<Certificate> =>
  loader(SECTIONS.certificates, options);

export const publicationsLoader = (options: CmsLoaderOptions = {}): CmsLoader<Publication> =>
  loader(SECTIONS.publications, options);

export const languagesLoader = (options: CmsLoaderOptions = {}): CmsLoader<Language> =>
  loader(SECTIONS.languages, options);

export const interestsLoader = (options: CmsLoaderOptions = {}): CmsLoader<Interest> =>
  loader(SECTIONS.interests, options);

export const referencesLoader = (options: CmsLoaderOptions = {}): CmsLoader<Reference> =>
  loader(SECTIONS.references, options);

/** Technologies with usage counts; entry ids are the technology names. */
export const technologiesLoader = (options: CmsLoaderOptions = {}): CmsLoader<Technology> =>
  loader(SECTIONS.technologies, options);

/** The whole published CV as one JSON Resume document: one entry, id `"resume"`. */
export const resumeLoader = (options: CmsLoaderOptions = {}): CmsLoader<Resume> => loader(SECTIONS.resume, options);

/** Every loader, for `defineCollection({ loader: cmsLoaders.projects({ featured: true }) })`. */
export const cmsLoaders = {
  personalInfo: personalInfoLoader,
  experience: experienceLoader,
  projects: projectsLoader,
  skills: skillsLoader,
  education: educationLoader,
  volunteer: volunteerLoader,
  awards: awardsLoader,
  certificates: certificatesLoader,
  publications: publicationsLoader,
  languages: languagesLoader,
  interests: interestsLoader,
  references: referencesLoader,
  technologies: technologiesLoader,
  resume: resumeLoader,
} as const;
