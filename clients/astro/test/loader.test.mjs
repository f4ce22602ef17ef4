// Tests of the loaders and client against a real local HTTP server (node --test).
// The Astro side is a minimal in-memory LoaderContext; a real `astro build` runs in
// tests/astro/ (Python) against the real API.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";

import {
  CmsApiError,
  createCmsClient,
  experienceLoader,
  personalInfoLoader,
  projectsLoader,
  resumeLoader,
  skillsLoader,
} from "../dist/index.js";

const PROJECTS = [
  {
    id: 1, name: "Alpha", slug: "alpha", description: "First", highlights: [], url: null,
    github_url: null, demo_url: null, image_url: null, image: null, roles: [], entity: null, type: null,
    start_date: "2021", end_date: null, featured: true, technologies: ["Python"],
    sort_order: 0, is_featured: true,
  },
];

/** A tiny API: every request is recorded; `routes[path]` decides the answer. */
const requests = [];
let routes = {};
const server = createServer((req, res) => {
  requests.push({
    url: req.url,
    ifNoneMatch: req.headers["if-none-match"] ?? null,
    apiKey: req.headers["x-api-key"] ?? null,
  });
  const route = routes[req.url.split("?")[0]];
  if (!route) {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "Not found", status_code: 404, timestamp: "now" }));
    return;
  }
  route(req, res);
});
let base;

function json(body, etag) {
  return (req, res) => {
    if (etag && req.headers["if-none-match"] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json", ...(etag ? { etag } : {}) });
    res.end(JSON.stringify(body));
  };
}

function context() {
  const entries = new Map();
  const meta = new Map();
  const logs = [];
  return {
    entries,
    metaMap: meta,
    logs,
    collection: "test",
    store: {
      get: (id) => entries.get(id),
      entries: () => [...entries.entries()],
      set: (entry) => (entries.set(entry.id, entry), true),
      values: () => [...entries.values()],
      keys: () => [...entries.keys()],
      delete: (id) => entries.delete(id),
      clear: () => entries.clear(),
      has: (id) => entries.has(id),
      addModuleImport: () => {},
    },
    meta: {
      get: (key) => meta.get(key),
      set: (key, value) => meta.set(key, value),
      has: (key) => meta.has(key),
      delete: (key) => meta.delete(key),
    },
    logger: {
      info: (m) => logs.push(["info", m]),
      warn: (m) => logs.push(["warn", m]),
      error: (m) => logs.push(["error", m]),
      debug: () => {},
    },
    parseData: async ({ data }) => data,
    generateDigest: (data) => JSON.stringify(data).length.toString(16),
  };
}

before(async () => {
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());
beforeEach(() => {
  requests.length = 0;
  routes = {};
});

describe("loaders", () => {
  test("first load fetches without If-None-Match and stores entries by slug", async () => {
    routes["/api/v1/projects"] = json(PROJECTS, '"v1"');
    const ctx = context();
    await projectsLoader({ baseUrl: base, featured: true }).load(ctx);
    assert.deepEqual(requests, [{ url: "/api/v1/projects?featured=true", ifNoneMatch: null, apiKey: null }]);
    assert.deepEqual(ctx.store.keys(), ["alpha"]);
    assert.equal(ctx.store.get("alpha").data.name, "Alpha");
    assert.equal(ctx.meta.get("etag"), '"v1"');
  });

  test("a locale is asked on every request; its store is not another locale's", async () => {
    routes["/api/v1/projects"] = json(PROJECTS, '"v1"');
    routes["/api/v1/locales"] = json({ default: "en", locales: [{ tag: "en", name: "English" }, { tag: "de", name: "Deutsch" }] });
    const ctx = context();
    await projectsLoader({ baseUrl: base }).load(ctx);
    await projectsLoader({ baseUrl: base, locale: "de", featured: true }).load(ctx);
    const client = createCmsClient({ baseUrl: base, locale: "de" });
    assert.equal(client.locale, "de");
    assert.deepEqual((await client.locales()).locales.map((l) => l.tag), ["en", "de"]);
    assert.deepEqual(
      requests.map((r) => [r.url, r.ifNoneMatch]),
      [["/api/v1/projects", null], ["/api/v1/projects?featured=true&locale=de", null], ["/api/v1/locales", null]],
    );
  });

  test("a second load sends the stored ETag and keeps the store on 304", async () => {
    routes["/api/v1/projects"] = json(PROJECTS, '"v1"');
    const ctx = context();
    const loader = projectsLoader({ baseUrl: base });
    await loader.load(ctx);
    await loader.load(ctx);
    assert.deepEqual(
      requests.map((r) => r.ifNoneMatch),
      [null, '"v1"'],
    );
    assert.deepEqual(ctx.store.keys(), ["alpha"]);
    assert.ok(ctx.logs.some(([, m]) => m.includes("304 Not Modified, kept 1 entry")));
  });

  test("an ETag is not sent when the store is empty", async () => {
    routes["/api/v1/projects"] = json(PROJECTS, '"v1"');
    const ctx = context();
    ctx.meta.set("etag", '"v1"');
    ctx.meta.set("url", `${base}/api/v1/projects`);
    await projectsLoader({ baseUrl: base }).load(ctx);
    assert.equal(requests[0].ifNoneMatch, null);
    assert.deepEqual(ctx.store.keys(), ["alpha"]);
  });

  test("an ETag stored for another query is not sent", async () => {
    routes["/api/v1/projects"] = json(PROJECTS, '"v1"');
    const ctx = context();
    await projectsLoader({ baseUrl: base }).load(ctx);
    await projectsLoader({ baseUrl: base, featured: true }).load(ctx);
    assert.deepEqual(
      requests.map((r) => r.ifNoneMatch),
      [null, null],
    );
  });

  test("changed content replaces the store and drops removed entries", async () => {
    routes["/api/v1/projects"] = json(PROJECTS, '"v1"');
    const ctx = context();
    const loader = projectsLoader({ baseUrl: base });
    await loader.load(ctx);
    const renamed = [{ ...PROJECTS[0], id: 2, slug: "beta", name: "Beta" }];
    routes["/api/v1/projects"] = json(renamed, '"v2"');
    await loader.load(ctx);
    assert.deepEqual(ctx.store.keys(), ["beta"]);
    assert.equal(ctx.meta.get("etag"), '"v2"');
  });

  test("single documents become one entry with a fixed id", async () => {
    routes["/api/v1/resume"] = json({ basics: { name: "Ada" }, work: [] }, '"r1"');
    const ctx = context();
    await resumeLoader({ baseUrl: base }).load(ctx);
    assert.deepEqual(ctx.store.keys(), ["resume"]);
    assert.equal(ctx.store.get("resume").data.basics.name, "Ada");
  });

  test("skills pass category and featured as query parameters", async () => {
    routes["/api/v1/skills"] = json([], '"s"');
    await skillsLoader({ baseUrl: base, category: "Back end", featured: false }).load(context());
    assert.equal(requests[0].url, "/api/v1/skills?category=Back+end&featured=false");
  });

  test("a missing personal info fails the build with the API's message", async () => {
    const loader = personalInfoLoader({ baseUrl: base, retries: 0 });
    await assert.rejects(loader.load(context()), (error) => {
      assert.ok(error instanceof CmsApiError);
      assert.equal(error.status, 404);
      assert.match(error.message, /personal-info answered 404: Not found/);
      return true;
    });
  });

  test("optional: a missing single document leaves the collection empty", async () => {
    const ctx = context();
    ctx.store.set({ id: "personal-info", data: { name: "Old" } });
    await personalInfoLoader({ baseUrl: base, optional: true }).load(ctx);
    assert.deepEqual(ctx.store.keys(), []);
    assert.equal(ctx.logs[0][0], "warn");
  });

  test("the schema the loader declares validates API data", () => {
    const schema = projectsLoader({ baseUrl: base }).schema;
    assert.ok(schema.safeParse(PROJECTS[0]).success);
    assert.equal(schema.safeParse({ ...PROJECTS[0], slug: 3 }).success, false);
  });
});

describe("preview token", () => {
  const TOKEN = "cms_preview-secret-token";

  /** Run `body` with CMS_PREVIEW_TOKEN set to `value` (or unset), restoring it afterwards. */
  async function withEnvToken(value, body) {
    const saved = process.env.CMS_PREVIEW_TOKEN;
    if (value === undefined) delete process.env.CMS_PREVIEW_TOKEN;
    else process.env.CMS_PREVIEW_TOKEN = value;
    try {
      return await body();
    } finally {
      if (saved === undefined) delete process.env.CMS_PREVIEW_TOKEN;
      else process.env.CMS_PREVIEW_TOKEN = saved;
    }
  }

  test("the previewToken option is sent as X-API-Key by the client and the loaders", async () => {
    routes["/api/v1/projects"] = json(PROJECTS);
    const client = createCmsClient({ baseUrl: base, previewToken: TOKEN });
    assert.equal(client.preview, true);
    await client.projects();
    const ctx = context();
    await projectsLoader({ baseUrl: base, previewToken: TOKEN }).load(ctx);
    assert.deepEqual(
      requests.map((r) => r.apiKey),
      [TOKEN, TOKEN],
    );
    assert.ok(ctx.logs.some(([, m]) => m.endsWith("loaded 1 entry (preview: drafts included)")));
  });

  test("CMS_PREVIEW_TOKEN is the default; null sends no token even when it is set", async () => {
    routes["/api/v1/skills"] = json([]);
    await withEnvToken(TOKEN, async () => {
      await skillsLoader({ baseUrl: base }).load(context());
      const client = createCmsClient({ baseUrl: base, previewToken: null });
      assert.equal(client.preview, false);
      await client.skills();
    });
    await withEnvToken(undefined, () => skillsLoader({ baseUrl: base }).load(context()));
    assert.deepEqual(
      requests.map((r) => r.apiKey),
      [TOKEN, null, null],
    );
  });

  test("a refused token fails with a hint naming the setting, never the token", async () => {
    routes["/api/v1/experience"] = (_req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "A valid read-drafts token is needed", status_code: 401, timestamp: "now" }));
    };
    const ctx = context();
    const loader = experienceLoader({ baseUrl: base, previewToken: TOKEN, retries: 0 });
    await assert.rejects(loader.load(ctx), (error) => {
      assert.ok(error instanceof CmsApiError);
      assert.equal(error.status, 401);
      assert.match(error.message, /answered 401: A valid read-drafts token is needed/);
      assert.match(error.message, /CMS_PREVIEW_TOKEN/);
      assert.ok(!error.message.includes(TOKEN));
      assert.ok(!JSON.stringify(error).includes(TOKEN));
      return true;
    });
    assert.ok(!JSON.stringify(createCmsClient({ baseUrl: base, previewToken: TOKEN })).includes(TOKEN));
    assert.ok(!ctx.logs.some(([, m]) => m.includes(TOKEN)));
  });

  test("a preview build and a public build never reuse each other's ETag", async () => {
    routes["/api/v1/projects"] = json(PROJECTS, '"v1"');
    const ctx = context();
    await projectsLoader({ baseUrl: base }).load(ctx);
    await projectsLoader({ baseUrl: base, previewToken: TOKEN }).load(ctx);
    await projectsLoader({ baseUrl: base, previewToken: TOKEN }).load(ctx);
    await projectsLoader({ baseUrl: base }).load(ctx);
    assert.deepEqual(
      requests.map((r) => [r.apiKey, r.ifNoneMatch]),
      [
        [null, null],
        [TOKEN, null],
        [TOKEN, '"v1"'],
        [null, null],
      ],
    );
  });
});

describe("client", () => {
  test("an unreachable API fails clearly, after the retries", async () => {
    const closed = createServer();
    await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = closed.address().port;
    await new Promise((resolve) => closed.close(resolve));
    const client = createCmsClient({ baseUrl: `http://127.0.0.1:${port}`, retryDelayMs: 1 });
    await assert.rejects(client.projects(), (error) => {
      assert.equal(error.kind, "unreachable");
      assert.match(error.message, /cannot reach http:\/\/127\.0\.0\.1:\d+\/api\/v1\/projects \(ECONNREFUSED\)/);
      assert.match(error.message, /CMS_API_URL/);
      return true;
    });
  });

  test("a slow API times out with the limit in the message", async () => {
    const pending = [];
    routes["/api/v1/skills"] = (_req, res) => pending.push(res);
    const client = createCmsClient({ baseUrl: base, timeoutMs: 100, retries: 0 });
    const started = Date.now();
    await assert.rejects(client.skills(), (error) => {
      assert.equal(error.kind, "timeout");
      assert.match(error.message, /timed out after 100 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 5000);
    for (const res of pending) res.destroy();
  });

  test("503 is retried, then the answer is used", async () => {
    let calls = 0;
    routes["/api/v1/education"] = (req, res) => {
      calls += 1;
      if (calls === 1) {
        res.writeHead(503, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "cold", status_code: 503, timestamp: "now" }));
        return;
      }
      json([{ id: 1 }])(req, res);
    };
    const client = createCmsClient({ baseUrl: base, retryDelayMs: 1 });
    assert.deepEqual(await client.education(), [{ id: 1 }]);
    assert.equal(calls, 2);
  });

  test("a non-JSON answer is reported as such", async () => {
    routes["/api/v1/awards"] = (_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>login</html>");
    };
    const client = createCmsClient({ baseUrl: base });
    await assert.rejects(client.awards(), /did not return JSON/);
  });

  test("no base URL is a configuration error naming CMS_API_URL", () => {
    const saved = process.env.CMS_API_URL;
    delete process.env.CMS_API_URL;
    try {
      assert.throws(() => createCmsClient(), /Set CMS_API_URL/);
      assert.throws(() => createCmsClient({ baseUrl: "ftp://x" }), /http:\/\/ or https:\/\//);
    } finally {
      if (saved !== undefined) process.env.CMS_API_URL = saved;
    }
  });

  test("a base URL with a stage path keeps it; path parameters are encoded", async () => {
    routes["/prod/api/v1/projects/alpha"] = json(PROJECTS[0]);
    const client = createCmsClient({ baseUrl: `${base}/prod/` });
    assert.equal((await client.project("alpha")).slug, "alpha");
    assert.equal(requests[0].url, "/prod/api/v1/projects/alpha");
  });
});
