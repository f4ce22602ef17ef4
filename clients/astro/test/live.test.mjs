// Tests of the live loader (Astro's live content collections) against a real local HTTP server
// (node --test). Astro calls loadCollection({ filter }) and loadEntry({ filter }) directly; a real
// on-demand preview page is rendered in tests/astro/ (Python) against the real API.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";

import { CmsApiError, cmsLiveLoader } from "../dist/index.js";

const TOKEN = "cms_live-preview-token";

const project = (id, slug, name, extra = {}) => ({
  id, name, slug, description: null, highlights: [], url: null, github_url: null, demo_url: null,
  image_url: null, image: null, roles: [], entity: null, type: null, start_date: null, end_date: null,
  featured: false, technologies: [], sort_order: id, is_featured: false, ...extra,
});
const PROJECTS = [project(1, "alpha", "Alpha", { featured: true, is_featured: true }), project(2, "draft-idea", "Draft idea")];
const SKILLS = [
  { id: 7, name: "Python", category: "Back end", level: 5, level_label: null, years_experience: 9,
    keywords: [], featured: true, sort_order: 0, is_featured: true },
];
const PERSON = {
  name: "Ada", title: null, pronouns: null, email: null, phone: null,
  location: { address: null, postal_code: null, city: null, country_code: null, region: null, timezone: null },
  summary: null, website: null, linkedin: null, github: null, image_url: null, image: null, profiles: [],
};

/** A tiny API: every request is recorded; `routes[path]` answers, anything else is a 404. */
const requests = [];
let routes = {};
const server = createServer((req, res) => {
  requests.push({ url: req.url, apiKey: req.headers["x-api-key"] ?? null });
  const route = routes[req.url.split("?")[0]];
  if (route) return route(req, res);
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: "Not found", status_code: 404, timestamp: "now" }));
});
let base;

const json = (body, status = 200) => (_req, res) => {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "private, no-store" });
  res.end(JSON.stringify(body));
};

before(async () => {
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());
beforeEach(() => {
  requests.length = 0;
  routes = {};
});

describe("live loader: collections", () => {
  test("lists entries by slug, sending the preview token", async () => {
    routes["/api/v1/projects"] = json(PROJECTS);
    const loader = cmsLiveLoader("projects", { baseUrl: base, previewToken: TOKEN });
    assert.equal(loader.name, "portfolio-cms:projects");
    const result = await loader.loadCollection({});
    assert.deepEqual(result.entries.map((entry) => entry.id), ["alpha", "draft-idea"]);
    assert.equal(result.entries[1].data.name, "Draft idea");
    assert.deepEqual(requests, [{ url: "/api/v1/projects", apiKey: TOKEN }]);
  });

  test("passes the API's filters on as query parameters, and nothing else", async () => {
    routes["/api/v1/projects"] = json(PROJECTS.slice(0, 1));
    routes["/api/v1/skills"] = json(SKILLS);
    await cmsLiveLoader("projects", { baseUrl: base }).loadCollection({ filter: { featured: true, bogus: 1 } });
    const skills = await cmsLiveLoader("skills", { baseUrl: base }).loadCollection({
      filter: { category: "Back end", featured: false },
    });
    assert.deepEqual(skills.entries.map((entry) => entry.id), ["7"]);
    assert.deepEqual(
      requests.map((r) => r.url),
      ["/api/v1/projects?featured=true", "/api/v1/skills?category=Back+end&featured=false"],
    );
  });

  test("asks ?locale= of the loader's option, or of a filter's locale, which wins", async () => {
    routes["/api/v1/projects"] = json(PROJECTS.slice(0, 1));
    routes["/api/v1/projects/alpha"] = json(PROJECTS[0]);
    const loader = cmsLiveLoader("projects", { baseUrl: base, locale: "de" });
    await loader.loadCollection({ filter: { featured: true } });
    await loader.loadCollection({ filter: { featured: true, locale: "fr" } });
    const entry = await loader.loadEntry({ filter: { slug: "alpha", locale: "fr" } });
    assert.equal(entry.id, "alpha");
    assert.deepEqual(
      requests.map((r) => r.url),
      ["/api/v1/projects?featured=true&locale=de", "/api/v1/projects?featured=true&locale=fr", "/api/v1/projects/alpha?locale=fr"],
    );
  });

  test("a single document is one entry with a fixed id; not entered yet is no entries", async () => {
    const loader = cmsLiveLoader("personalInfo", { baseUrl: base, retries: 0 });
    assert.deepEqual(await loader.loadCollection({}), { entries: [] });
    routes["/api/v1/personal-info"] = json(PERSON);
    const result = await loader.loadCollection({});
    assert.deepEqual(result.entries.map((entry) => [entry.id, entry.data.name]), [["personal-info", "Ada"]]);
  });

  test("a refused token is returned as { error }, a CmsApiError without the token", async () => {
    routes["/api/v1/projects"] = json({ error: "A valid read-drafts token is needed", status_code: 401 }, 401);
    const result = await cmsLiveLoader("projects", { baseUrl: base, previewToken: TOKEN }).loadCollection({});
    assert.ok(result.error instanceof CmsApiError);
    assert.equal(result.error.status, 401);
    assert.match(result.error.message, /answered 401: A valid read-drafts token is needed/);
    assert.ok(!result.error.message.includes(TOKEN));
  });

  test("an unreachable API and a missing API URL are returned as errors, not thrown", async () => {
    const closed = createServer();
    await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = closed.address().port;
    await new Promise((resolve) => closed.close(resolve));
    const down = await cmsLiveLoader("education", { baseUrl: `http://127.0.0.1:${port}`, retries: 0 }).loadCollection({});
    assert.equal(down.error.kind, "unreachable");

    const saved = process.env.CMS_API_URL;
    delete process.env.CMS_API_URL;
    try {
      const unset = await cmsLiveLoader("education").loadCollection({});
      assert.equal(unset.error.kind, "config");
      assert.match(unset.error.message, /Set CMS_API_URL/);
    } finally {
      if (saved !== undefined) process.env.CMS_API_URL = saved;
    }
  });

  test("data that does not match the schema is an invalid-response error naming the field", async () => {
    routes["/api/v1/projects"] = json([{ ...PROJECTS[0], slug: 3 }]);
    const result = await cmsLiveLoader("projects", { baseUrl: base }).loadCollection({});
    assert.equal(result.error.kind, "invalid-response");
    assert.match(result.error.message, /projects schema \(slug: /);
  });
});

describe("live loader: entries", () => {
  test("a project by slug (as getLiveEntry(name, slug) passes it) or by { slug }, with the token", async () => {
    routes["/api/v1/projects/draft-idea"] = json(PROJECTS[1]);
    const loader = cmsLiveLoader("projects", { baseUrl: base, previewToken: TOKEN });
    const byId = await loader.loadEntry({ filter: { id: "draft-idea" } });
    const bySlug = await loader.loadEntry({ filter: { slug: "draft-idea" } });
    assert.deepEqual([byId.id, byId.data.name], ["draft-idea", "Draft idea"]);
    assert.deepEqual(bySlug, byId);
    assert.deepEqual(
      requests.map((r) => [r.url, r.apiKey]),
      [
        ["/api/v1/projects/draft-idea", TOKEN],
        ["/api/v1/projects/draft-idea", TOKEN],
      ],
    );
  });

  test("not found is undefined (Astro's LiveEntryNotFoundError), other failures are { error }", async () => {
    const loader = cmsLiveLoader("projects", { baseUrl: base, retries: 0 });
    assert.equal(await loader.loadEntry({ filter: { id: "missing" } }), undefined);
    routes["/api/v1/projects/boom"] = json({ error: "Internal server error", status_code: 500 }, 500);
    const failed = await loader.loadEntry({ filter: { id: "boom" } });
    assert.equal(failed.error.status, 500);
    const empty = await loader.loadEntry({ filter: {} });
    assert.equal(empty.error.kind, "config");
    assert.match(empty.error.message, /needs an id or a slug/);
  });

  test("experience by numeric id through its own path; another key is not found", async () => {
    routes["/api/v1/experience/4"] = json({
      id: 4, company: "Acme", position: null, url: null, location: null, description: null,
      summary: null, highlights: [], start_date: null, end_date: null, is_current: true,
      technologies: [], sort_order: 0,
    });
    const loader = cmsLiveLoader("experience", { baseUrl: base });
    const found = await loader.loadEntry({ filter: { id: 4 } });
    assert.deepEqual([found.id, found.data.company], ["4", "Acme"]);
    assert.equal(await loader.loadEntry({ filter: { id: "acme" } }), undefined);
    assert.deepEqual(requests.map((r) => r.url), ["/api/v1/experience/4"]);
  });

  test("a section without an item path is searched by entry id", async () => {
    routes["/api/v1/skills"] = json(SKILLS);
    const loader = cmsLiveLoader("skills", { baseUrl: base });
    assert.equal((await loader.loadEntry({ filter: { id: "7" } })).data.name, "Python");
    assert.equal(await loader.loadEntry({ filter: { id: "8" } }), undefined);
    const person = cmsLiveLoader("personalInfo", { baseUrl: base });
    routes["/api/v1/personal-info"] = json(PERSON);
    assert.equal((await person.loadEntry({ filter: { id: "personal-info" } })).data.name, "Ada");
  });

  test("an unknown section is a configuration error listing the sections", () => {
    assert.throws(() => cmsLiveLoader("toString"), /no section "toString"; use one of personalInfo, experience, projects/);
  });
});
