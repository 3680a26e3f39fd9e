// Start a page's first API read while the HTML is parsed, before React hydrates: rendered as
// <link rel="preload" as="fetch"> in the exported HTML, reused by the client's fetch().
import { preload } from "react-dom";

export function preloadApi(path: string): void {
  preload(path, { as: "fetch", crossOrigin: "anonymous" });
}
