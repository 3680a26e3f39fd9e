import { preloadApi } from "@/lib/preload";

import { WatchlistPage } from "./WatchlistPage";

export default function Page() {
  preloadApi("/api/dashboard");
  return <WatchlistPage />;
}
