// `/` is the Overview (also reachable as /overview/).
import { preloadApi } from "@/lib/preload";

import OverviewPage from "./overview/page";

export default function Home() {
  preloadApi("/api/dashboard");
  return <OverviewPage />;
}
