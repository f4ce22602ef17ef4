// @ts-check
import node from "@astrojs/node";
import { defineConfig } from "astro/config";
import { siteLocales } from "./src/locales.mjs";

// Static pages, fetched from the CMS once at build time (CMS_API_URL). The preview pages
// (src/pages/preview/) opt out with `prerender = false`: the Node adapter renders them on request
// from live collections (src/live.config.ts), drafts included with CMS_PREVIEW_TOKEN.
// Images uploaded to the CMS are served by it: Astro may fetch and optimise them at build time.
const cms = process.env.CMS_API_URL ? new URL(process.env.CMS_API_URL).hostname : undefined;
// One page per locale of the CMS: the default at /, the others at /<tag>/.
const { defaultLocale, locales } = await siteLocales();

export default defineConfig({
  output: "static",
  image: { domains: cms ? [cms] : [] },
  adapter: node({ mode: "standalone" }),
  i18n: { defaultLocale, locales, routing: { prefixDefaultLocale: false } },
});
