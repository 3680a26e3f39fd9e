import path from "node:path";
import { defineConfig } from "vitest/config";

// Component tests: jsdom + Testing Library; the JSX transform is Vite's own (oxc), no plugin.
// One jsdom for all files (isolate: false): building a jsdom per file was most of the run
// time; Testing Library unmounts after each test and src/test/setup.ts clears localStorage.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic" } },
  resolve: { alias: { "@": path.resolve(__dirname, "src") } },
  test: {
    environment: "jsdom",
    globals: true,
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["./src/test/setup.ts"],
    isolate: false,
    fileParallelism: false,
  },
});
