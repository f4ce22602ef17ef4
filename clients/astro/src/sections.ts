/**
 * The CV's sections as the API serves them: path, zod schema, entry ids, filters and the path of
 * one item. Both the build-time loaders (`loaders.ts`) and the live loader (`live.ts`) read this
 * one table, so a section's ids and filters are the same in every kind of collection.
 */
import type { z } from "astro/zod";
import type { CmsClient, GetPath, QueryOf } from "./client.js";
import * as S from "./schemas.js";

/** One section of the API. */
export interface Section<P extends GetPath, T, F extends keyof QueryOf<P> = never> {
  /** A short name for loader names and logs. */
  name: string;
  path: P;
  /**
   * Typed by its output only (`z.ZodType<T>`): that one type parameter means the same in
   * zod 3 (Astro 5) and zod 4 (Astro 6+), so `entry.data` is typed under every Astro.
   */
  schema: z.ZodType<T>;
  /** Lists: the entry id of one item. Single documents: a fixed id. */
  id: string | ((item: T) => string);
  list: boolean;
  /** The query parameters of `path` a collection may be filtered by. */
  filters: readonly F[];
  /** Fetch one item by its key, where the API has a path for it (else the list is searched). */
  one?: (client: CmsClient, key: string) => Promise<T> | undefined;
}

function section<P extends GetPath, T, F extends keyof QueryOf<P> = never>(
  definition: Section<P, T, F>,
): Section<P, T, F> {
  return definition;
}

const byId = (item: { id: number }) => String(item.id);
const isNumber = (key: string) => /^\d+$/.test(key);

/** Every section, by the name the loaders use (`cmsLoaders.projects`, `cmsLiveLoader("projects")`). */
export const SECTIONS = {
  personalInfo: section({
    name: "personal-info",
    path: "/api/v1/personal-info",
    schema: S.PersonalInfoPublicSchema,
    id: "personal-info",
    list: false,
    filters: [],
  }),
  experience: section({
    name: "experience",
    path: "/api/v1/experience",
    schema: S.ExperiencePublicSchema,
    id: byId,
    list: true,
    filters: [],
    one: (client, key) => (isNumber(key) ? client.experienceById(Number(key)) : undefined),
  }),
  projects: section({
    name: "projects",
    path: "/api/v1/projects",
    schema: S.ProjectPublicSchema,
    id: (item) => item.slug,
    list: true,
    filters: ["featured"],
    one: (client, key) => client.project(key),
  }),
  skills: section({
    name: "skills",
    path: "/api/v1/skills",
    schema: S.SkillPublicSchema,
    id: byId,
    list: true,
    filters: ["category", "featured"],
  }),
  education: section({
    name: "education",
    path: "/api/v1/education",
    schema: S.EducationPublicSchema,
    id: byId,
    list: true,
    filters: [],
  }),
  volunteer: section({
    name: "volunteer",
    path: "/api/v1/volunteer",
    schema: S.VolunteerPublicSchema,
    id: byId,
    list: true,
    filters: [],
  }),
  awards: section({
    name: "awards",
    path: "/api/v1/awards",
    schema: S.AwardPublicSchema,
    id: byId,
    list: true,
    filters: [],
  }),
  certificates: section({
    name: "certificates",
    path: "/api/v1/certificates",
    schema: S.CertificatePublicSchema,
    id: byId,
    list: true,
    filters: [],
  }),
  publications: section({
    name: "publications",
    path: "/api/v1/publications",
    schema: S.PublicationPublicSchema,
    id: byId,
    list: true,
    filters: [],
  }),
  languages: section({
    name: "languages",
    path: "/api/v1/languages",
    schema: S.LanguagePublicSchema,
    id: byId,
    list: true,
    filters: [],
  }),
  interests: section({
    name: "interests",
    path: "/api/v1/interests",
    schema: S.InterestPublicSchema,
    id: byId,
    list: true,
    filters: [],
  }),
  references: section({
    name: "references",
    path: "/api/v1/references",
    schema: S.ReferencePublicSchema,
    id: byId,
    list: true,
    filters: [],
  }),
  technologies: section({
    name: "technologies",
    path: "/api/v1/technologies",
    schema: S.TechnologyPublicSchema,
    id: (item) => item.name,
    list: true,
    filters: [],
  }),
  resume: section({
    name: "resume",
    path: "/api/v1/resume",
    schema: S.ResumePublicSchema,
    id: "resume",
    list: false,
    filters: [],
  }),
} as const;

/** A section's name: `"projects"`, `"personalInfo"`, … */
export type SectionName = keyof typeof SECTIONS;

type SectionOf<N extends SectionName> = (typeof SECTIONS)[N];

/** The `data` of one entry of section `N`. */
export type SectionData<N extends SectionName> =
  SectionOf<N>["schema"] extends z.ZodType<infer T extends Record<string, unknown>> ? T : never;

/** The filters of section `N` (its API query parameters), or `never` when it has none. */
export type SectionFilter<N extends SectionName> = [SectionOf<N>["filters"][number]] extends [never]
  ? never
  : Pick<QueryOf<SectionOf<N>["path"]>, SectionOf<N>["filters"][number] & keyof QueryOf<SectionOf<N>["path"]>>;

/** The query a collection of `section` asks the API with, from filters named by the section. */
export function queryOf(
  section: { filters: readonly PropertyKey[] },
  filter: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (!filter) return undefined;
  const query: Record<string, unknown> = {};
  for (const key of section.filters) {
    const value = filter[key as string];
    if (value !== undefined) query[key as string] = value;
  }
  return query;
}
