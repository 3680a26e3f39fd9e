"use client";
// Navigation to every page. Symbol detail is reached from the watchlist (a symbol's link).
// No prefetching: six pages fetched on every load would compete with the page's own API reads.
import Link from "next/link";
import { usePathname } from "next/navigation";

export const PAGES = [
  { href: "/", label: "Overview" },
  { href: "/watchlist/", label: "Watchlist" },
  { href: "/orders/", label: "Orders" },
  { href: "/portfolio/", label: "Portfolio" },
  { href: "/messages/", label: "Messages" },
  { href: "/audit/", label: "Audit" },
  { href: "/settings/", label: "Settings" },
] as const;

function isActive(pathname: string, href: string): boolean {
  const path = pathname.endsWith("/") ? pathname : `${pathname}/`;
  return href === "/" ? path === "/" || path === "/overview/" : path.startsWith(href);
}

export function Nav() {
  const pathname = usePathname() ?? "/";
  return (
    <nav className="nav" aria-label="Pages">
      {PAGES.map((page) => (
        <Link key={page.href} href={page.href} prefetch={false} className={isActive(pathname, page.href) ? "nav-link active" : "nav-link"} aria-current={isActive(pathname, page.href) ? "page" : undefined}>
          {page.label}
        </Link>
      ))}
    </nav>
  );
}
