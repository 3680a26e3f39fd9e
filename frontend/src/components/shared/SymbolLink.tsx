// A symbol links to its detail page (a query parameter: the dashboard is a static export).
import Link from "next/link";

export function symbolHref(symbol: string): string {
  return `/symbol/?s=${encodeURIComponent(symbol)}`;
}

export function SymbolLink({ symbol }: { symbol: string }) {
  return (
    <Link href={symbolHref(symbol)} className="symbol-link">
      {symbol}
    </Link>
  );
}
