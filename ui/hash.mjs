// Writes dist/source-hash.txt: the SHA-256 of the files the build reads, so a Go test
// (ui/dist_test.go) can tell, without npm, whether dist/ was built from the sources in
// the tree. Keep the file list and the hashing in step with sourceHash in that test.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL(".", import.meta.url));
export const inputs = ["index.html", "package-lock.json", "vite.config.ts", "tsconfig.json", "hash.mjs", "src", "public"];

function walk(p, out) {
  let st;
  try { st = statSync(p); } catch { return; }
  if (st.isDirectory()) {
    for (const name of readdirSync(p)) walk(join(p, name), out);
  } else {
    out.push(relative(root, p).split(sep).join("/"));
  }
}

const files = [];
for (const i of inputs) walk(join(root, i), files);
files.sort();
const h = createHash("sha256");
for (const f of files) {
  h.update(f + "\n");
  h.update(readFileSync(join(root, f)));
  h.update("\n");
}
writeFileSync(join(root, "dist", "source-hash.txt"), h.digest("hex") + "\n");
