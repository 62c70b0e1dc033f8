import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The built app is embedded in weir (ui/ui.go): no inline scripts (the server's CSP
// refuses them), no module preload polyfill injected into index.html.
export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: { proxy: { "/api": "http://127.0.0.1:8080", "/ajax-api": "http://127.0.0.1:8080" } },
});
