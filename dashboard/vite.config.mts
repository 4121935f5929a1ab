// The dashboard's build: static files (index.html, hashed JS and CSS) that any static host can
// serve. Nothing about a Supabase project is baked in: the app reads config.json beside
// index.html when it starts, so one build runs against `npm start` and against hosted Supabase.
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  // Relative asset URLs: the build works from any folder of any host.
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: false,
  },
});
