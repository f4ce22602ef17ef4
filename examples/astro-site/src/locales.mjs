// The languages the site is built in: the CMS's locales (GET /api/v1/locales), asked once per
// process. The default locale is served at /, every other one at /<tag>/ (astro.config.mjs), each
// from its own collections (src/content.config.ts). A CMS that answers 404 there has a single
// language: the site is then built in that one only, as "en".
import { CmsApiError, createCmsClient } from "@portfolio-cms/astro";

/** @type {Promise<{ defaultLocale: string; locales: string[] }> | undefined} */
let asked;

/** The CMS's default locale and every locale tag (the default first). */
export function siteLocales() {
  asked ??= ask();
  return asked;
}

async function ask() {
  try {
    const answer = await createCmsClient({ previewToken: null }).locales();
    const others = answer.locales.map((locale) => locale.tag).filter((tag) => tag !== answer.default);
    return { defaultLocale: answer.default, locales: [answer.default, ...others] };
  } catch (error) {
    if (error instanceof CmsApiError && error.status === 404) {
      return { defaultLocale: "en", locales: ["en"] };
    }
    throw error;
  }
}

/** The collection holding `base` in `locale`: `base` itself for the default locale. */
export function collectionName(base, locale, defaultLocale) {
  return locale === defaultLocale ? base : `${base}_${locale.replace(/\W/g, "_")}`;
}
