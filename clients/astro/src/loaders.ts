/**
 * Astro content-layer loaders (Astro 5 object loaders: `{ name, load, schema }`) for every
 * section of the CV and for the whole JSON Resume document.
 *
 * Each build asks the API with `If-None-Match` (the ETag kept in the collection's meta store)
 * when the store already holds entries; on 304 the store is kept as it is. A failed request
 * throws, so the build stops with a readable message instead of publishing an empty site.
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
import * as S from "./schemas.js";

export interface CmsLoaderOptions extends CmsClientOptions {
  /** A client to reuse (its own options win over the ones above). */
  client?: CmsClient;
  /**
   * For single documents (personal info, resume): treat "not entered yet" (404) as an empty
   * collection instead of failing the build. Default: false.
   */
  optional?: boolean;
}

interface Collection<P extends GetPath, T> {
  path: P;
  /**
   * Typed by its output only (`z.ZodType<T>`): that one type parameter means the same in
   * zod 3 (Astro 5) and zod 4 (Astro 6+), so `entry.data` is typed under every Astro.
   */
  schema: z.ZodType<T>;
  /** Lists: the entry id of one item. Single documents: a fixed id. */
  id: string | ((item: T) => string);
  list: boolean;
}

const ETAG_KEY = "etag";
const URL_KEY = "url";

/** An Astro object loader whose entries' `data` has type `T`. */
export type CmsLoader<T> = Loader & { schema: z.ZodType<T> };

function loader<P extends GetPath, T>(
  name: string,
  collection: Collection<P, T>,
  options: CmsLoaderOptions,
  query?: QueryOf<P>,
): CmsLoader<T> {
  return {
    name: `portfolio-cms:${name}`,
    schema: collection.schema,
    async load(context: LoaderContext): Promise<void> {
      await loadCollection(context, collection, options, query);
    },
  };
}

async function loadCollection<P extends GetPath, T>(
  { store, meta, logger, parseData, generateDigest }: LoaderContext,
  collection: Collection<P, T>,
  options: CmsLoaderOptions,
  query?: QueryOf<P>,
): Promise<void> {
  const client = options.client ?? createCmsClient(options);
  // Only a store that still holds the answer for this very URL can be kept on a 304.
  const url = client.url(collection.path, { query });
  const etag = store.keys().length > 0 && meta.get(URL_KEY) === url ? meta.get(ETAG_KEY) : undefined;
  let response;
  try {
    response = await client.get(collection.path, { query, etag });
  } catch (error) {
    if (options.optional && !collection.list && error instanceof CmsApiError && error.status === 404) {
      logger.warn(`${error.message} (optional: the collection is left empty)`);
      store.clear();
      meta.delete(ETAG_KEY);
      return;
    }
    throw error;
  }
  if (response.notModified) {
    logger.info(`${url}: 304 Not Modified, kept ${count(store.keys().length)}`);
    return;
  }
  const items = (collection.list ? response.data : [response.data]) as Record<string, unknown>[];
  const seen = new Set<string>();
  for (const item of items) {
    const id =
      typeof collection.id === "string" ? collection.id : collection.id(item as T);
    seen.add(id);
    const data = await parseData({ id, data: item });
    store.set({ id, data, digest: generateDigest(item) });
  }
  for (const id of store.keys()) {
    if (!seen.has(id)) store.delete(id);
  }
  if (response.etag) meta.set(ETAG_KEY, response.etag);
  else meta.delete(ETAG_KEY);
  meta.set(URL_KEY, url);
  logger.info(`${url}: loaded ${count(items.length)}`);
}

const byId = (item: { id: number }) => String(item.id);
const count = (n: number) => `${n} ${n === 1 ? "entry" : "entries"}`;

/** The owner (name, contact, profiles): one entry, id `"personal-info"`. */
export const personalInfoLoader = (options: CmsLoaderOptions = {}): CmsLoader<PersonalInfo> =>
  loader(
    "personal-info",
    { path: "/api/v1/personal-info", schema: S.PersonalInfoPublicSchema, id: "personal-info", list: false },
    options,
  );

/** Work experience with technologies; entry ids are the API ids. */
export const experienceLoader = (options: CmsLoaderOptions = {}): CmsLoader<Experience> =>
  loader("experience", { path: "/api/v1/experience", schema: S.ExperiencePublicSchema, id: byId, list: true }, options);

/** Projects (all, or `{ featured: true }` only); entry ids are the slugs. */
export const projectsLoader = (options: CmsLoaderOptions & QueryOf<"/api/v1/projects"> = {}): CmsLoader<Project> =>
  loader(
    "projects",
    { path: "/api/v1/projects", schema: S.ProjectPublicSchema, id: (item) => item.slug, list: true },
    options,
    { featured: options.featured },
  );

/** Skills (optionally of one `category`, or `featured` only); entry ids are the API ids. */
export const skillsLoader = (options: CmsLoaderOptions & QueryOf<"/api/v1/skills"> = {}): CmsLoader<Skill> =>
  loader(
    "skills",
    { path: "/api/v1/skills", schema: S.SkillPublicSchema, id: byId, list: true },
    options,
    { category: options.category, featured: options.featured },
  );

export const educationLoader = (options: CmsLoaderOptions = {}): CmsLoader<Education> =>
  loader("education", { path: "/api/v1/education", schema: S.EducationPublicSchema, id: byId, list: true }, options);

export const volunteerLoader = (options: CmsLoaderOptions = {}): CmsLoader<Volunteer> =>
  loader("volunteer", { path: "/api/v1/volunteer", schema: S.VolunteerPublicSchema, id: byId, list: true }, options);

export const awardsLoader = (options: CmsLoaderOptions = {}): CmsLoader<Award> =>
  loader("awards", { path: "/api/v1/awards", schema: S.AwardPublicSchema, id: byId, list: true }, options);

export const certificatesLoader = (options: CmsLoaderOptions = {}): CmsLoader<Certificate> =>
  loader(
    "certificates",
    { path: "/api/v1/certificates", schema: S.CertificatePublicSchema, id: byId, list: true },
    options,
  );

export const publicationsLoader = (options: CmsLoaderOptions = {}): CmsLoader<Publication> =>
  loader(
    "publications",
    { path: "/api/v1/publications", schema: S.PublicationPublicSchema, id: byId, list: true },
    options,
  );

export const languagesLoader = (options: CmsLoaderOptions = {}): CmsLoader<Language> =>
  loader("languages", { path: "/api/v1/languages", schema: S.LanguagePublicSchema, id: byId, list: true }, options);

export const interestsLoader = (options: CmsLoaderOptions = {}): CmsLoader<Interest> =>
  loader("interests", { path: "/api/v1/interests", schema: S.InterestPublicSchema, id: byId, list: true }, options);

export const referencesLoader = (options: CmsLoaderOptions = {}): CmsLoader<Reference> =>
  loader(
    "references",
    { path: "/api/v1/references", schema: S.ReferencePublicSchema, id: byId, list: true },
    options,
  );

/** Technologies with usage counts; entry ids are the technology names. */
export const technologiesLoader = (options: CmsLoaderOptions = {}): CmsLoader<Technology> =>
  loader(
    "technologies",
    { path: "/api/v1/technologies", schema: S.TechnologyPublicSchema, id: (item) => item.name, list: true },
    options,
  );

/** The whole published CV as one JSON Resume document: one entry, id `"resume"`. */
export const resumeLoader = (options: CmsLoaderOptions = {}): CmsLoader<Resume> =>
  loader("resume", { path: "/api/v1/resume", schema: S.ResumePublicSchema, id: "resume", list: false }, options);

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
