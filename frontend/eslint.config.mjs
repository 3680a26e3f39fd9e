import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [".next/**", "out/**", "node_modules/**", "test-results/**", "playwright-report/**", "src/lib/api/schema.d.ts", "next-env.d.ts"],
  },
];

export default config;
