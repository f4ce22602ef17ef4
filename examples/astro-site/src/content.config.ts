// The CV's collections, loaded from the Portfolio CMS API at build time: one set per locale of
// the CMS (src/locales.mjs), the default locale's named plainly (`experience`), the others with
// their tag (`experience_de`), each asking the API with `?locale=<tag>`.
// Set CMS_API_URL (e.g. http://127.0.0.1:8000) before `astro build`.
import { defineCollection } from "astro:content";
import {
  experienceLoader,
  personalInfoLoader,
  projectsLoader,
  skillsLoader,
} from "@portfolio-cms/astro";
import { collectionName, siteLocales } from "./locales.mjs";

const { defaultLocale, locales } = await siteLocales();

function collectionsOf(locale: string) {
  // The default locale is asked without `?locale=`: the same URLs (and ETags) as a CMS with one.
  const language = locale === defaultLocale ? {} : { locale };
  const name = (base: string) => collectionName(base, locale, defaultLocale);
  return {
    [name("profile")]: defineCollection({ loader: personalInfoLoader(language) }),
    [name("experience")]: defineCollection({ loader: experienceLoader(language) }),
    [name("featuredProjects")]: defineCollection({ loader: projectsLoader({ ...language, featured: true }) }),
    [name("skills")]: defineCollection({ loader: skillsLoader(language) }),
  };
}

export const collections = Object.assign({}, ...locales.map(collectionsOf));
