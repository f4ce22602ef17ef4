/**
 * Portfolio CMS for Astro: content-layer loaders and a typed fetch client.
 *
 * ```ts
 * // src/content.config.ts
 * import { defineCollection } from "astro:content";
 * import { projectsLoader } from "@portfolio-cms/astro";
 * export const collections = { projects: defineCollection({ loader: projectsLoader() }) };
 * ```
 *
 * Pages rendered on request use live collections instead: `cmsLiveLoader("projects")` in
 * `src/live.config.ts`.
 */
export * from "./client.js";
export * from "./live.js";
export * from "./loaders.js";
export * from "./schemas.js";
export type { SectionData, SectionFilter, SectionName } from "./sections.js";
export type { components, operations, paths } from "./openapi.js";
