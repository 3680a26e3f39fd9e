import type { Metadata } from "next";
import type { ReactNode } from "react";

import { BlockerBanner } from "@/components/BlockerBanner";
import { Nav } from "@/components/Nav";
import { TokenControl } from "@/components/TokenControl";

import { Providers } from "./providers";
import "./globals.css";

export const metadata: Metadata = {
  title: "atp dashboard",
  description: "Automated trading platform: health, decisions and money at a glance",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>
          <header className="topbar">
            <span className="brand">atp</span>
            <Nav />
            <TokenControl />
          </header>
          <BlockerBanner />
          <main>{children}</main>
        </Providers>
      </body>
    </html>
  );
}
