import { join } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The studio: built into studio/dist, which `tailor serve` serves at `/` beside the API; and the
 * share page (share.html, served at `/a/<slug>`), a second entry with its own small bundle.
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      input: {
        studio: join(import.meta.dirname, "index.html"),
        share: join(import.meta.dirname, "share.html"),
      },
      // zod's comments carry annotations Rollup cannot place; harmless, and not ours to fix
      onwarn(warning, warn) {
        if (warning.code !== "INVALID_ANNOTATION") warn(warning);
      },
    },
  },
  // `npx vite studio` while `tailor serve` runs: the API is proxied from the default port
  server: {
    proxy: { "/v1": "http://127.0.0.1:8700", "/health": "http://127.0.0.1:8700" },
  },
});
