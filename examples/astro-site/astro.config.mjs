// @ts-check
import { defineConfig } from "astro/config";

// A static site: everything is fetched from the CMS once, at build time (CMS_API_URL).
export default defineConfig({
  output: "static",
});
