import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

// Explicit: with one shared jsdom (isolate: false) Testing Library's own automatic cleanup is
// registered only by the first file that imports it.
afterEach(() => {
  cleanup();
  window.localStorage.clear();
});
