// The CV's collections, loaded from the Portfolio CMS API at build time.
// Set CMS_API_URL (e.g. http://127.0.0.1:8000) before `astro build`.
import { defineCollection } from "astro:content";
import {
  experienceLoader,
  personalInfoLoader,
  projectsLoader,
  skillsLoader,
} from "@portfolio-cms/astro";

export const collections = {
  profile: defineCollection({ loader: personalInfoLoader() }),
  experience: defineCollection({ loader: experienceLoader() }),
  featuredProjects: defineCollection({ loader: projectsLoader({ featured: true }) }),
  skills: defineCollection({ loader: skillsLoader() }),
};
