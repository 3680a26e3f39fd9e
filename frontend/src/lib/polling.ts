// Pages poll: the state on screen is at most a few seconds old without a reload, and after a
// change the page refetches instead of keeping a local copy (no overlay that can drift).
export const POLL_MS = 5_000;
