/**
 * Portfolio CMS for Astro: content-layer loaders and a typed fetch client.
 *
 * ```ts
 * // src/content.config.ts
 * import { defineCollection } from "astro:content";
 * import { projectsLoader } from "@portfolio-cms/astro";
 * export const collections = { projects: defineCollection({ loader: projectsLoader() }) };
 * ```
 */
export * from "./client.js";
export * from "./loaders.js";
export * from "./schemas.js";
export type { components, operations, paths } from "./openapi.js";
