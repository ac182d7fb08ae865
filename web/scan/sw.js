// The scanner's service worker: after one visit, the page, its modules, the decoder and the lists work
// with the network cut. The page and the lists go to the network first (HTTP revalidation by ETag) and
// fall back to the copy kept here, stamped with when it was fetched (X-Fetched-At: the page shows the
// lists' age and stops claiming a status past its limit). Modules and the decoder come from here first:
// a new build of them is a new worker (the service writes BUILD below), which fetches them afresh.

const BUILD = { version: "dev", shell: [] }; // replaced by the service with its files' digest and list
const SHELL = `scan-shell-${BUILD.version}`;
const DATA = "scan-data"; // the page and the lists: kept across builds
const DATA_PATHS = ["/api/v1/trust-list", "/status/"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const shell = await caches.open(SHELL);
      await shell.addAll(BUILD.shell);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== SHELL && name !== DATA) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

/** A copy of ``response`` stamped with the moment it was fetched. */
async function stamped(response) {
  const headers = new Headers(response.headers);
  headers.set("X-Fetched-At", new Date().toUTCString());
  return new Response(await response.clone().arrayBuffer(), { status: response.status, statusText: response.statusText, headers });
}

async function networkFirst(request) {
  const cache = await caches.open(DATA);
  try {
    const response = await fetch(request);
    if (!response.ok) return response;
    const copy = await stamped(response);
    await cache.put(request, copy.clone());
    return copy;
  } catch (error) {
    const kept = (await cache.match(request)) ?? (await cache.match(request, { ignoreSearch: true }));
    if (kept) return kept;
    throw error;
  }
}

async function cacheFirst(request) {
  const kept = await caches.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await (await caches.open(SHELL)).put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return; // the registry check passes by
  if (url.pathname === "/scan" || url.pathname === "/scan/manifest.webmanifest" || DATA_PATHS.some((p) => url.pathname.startsWith(p))) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.startsWith("/scan/")) {
    event.respondWith(cacheFirst(request));
  }
});
