import type { NextConfig } from "next";

// A static export served by the API itself (backend atp.api.site): one process, one origin,
// no CORS. Clean URLs come from trailingSlash (`/watchlist/` -> `watchlist/index.html`).
// Static export means no dynamic route segments: pages take query parameters instead
// (`/symbol/?s=BTC_USDT`).
const config: NextConfig = {
  output: "export",
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
  // `npm run typecheck` (tsc, part of `make frontend-test`) is the type gate; checking again
  // inside `next build` would add ~20 s to every build, `make run` included.
  typescript: { ignoreBuildErrors: true },
};

export default config;
