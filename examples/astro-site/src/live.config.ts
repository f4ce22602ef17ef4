// Live collections, read from the CMS on every request by the preview pages (src/pages/preview/).
// CMS_API_URL and CMS_PREVIEW_TOKEN (a read-drafts token: drafts included) come from the
// server's environment when a page is rendered, not from the build.
import { defineLiveCollection } from "astro:content";
import { cmsLiveLoader } from "@portfolio-cms/astro";

export const collections = {
  liveProfile: defineLiveCollection({ loader: cmsLiveLoader("personalInfo") }),
  liveExperience: defineLiveCollection({ loader: cmsLiveLoader("experience") }),
  liveProjects: defineLiveCollection({ loader: cmsLiveLoader("projects") }),
  // The same projects as the public sees them, to mark which ones are drafts.
  publishedProjects: defineLiveCollection({ loader: cmsLiveLoader("projects", { previewToken: null }) }),
};
