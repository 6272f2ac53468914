import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// `base: './'`: the same dist/ works served at `/` by `causeway serve` and
// inside the Tauri app.
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
    setupFiles: ["src/test/setup.ts"],
  },
});
