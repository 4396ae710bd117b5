// Writes openapi.json: from a running server when IGOULTRA_API_URL is set (e.g.
// http://127.0.0.1:8000), otherwise by asking the backend checkout this folder lives in
// (`python manage.py spectacular`, the same document /api/v1/schema/ serves).
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

// The committed document is compact with its keys sorted, written by Python's json (JavaScript
// would round the schema's 64-bit integer bounds), so a test compares it byte for byte with
// what the server serves.
const COMPACT = [
  "-c",
  "import json, sys; p = sys.argv[1]; d = json.load(open(p)); " +
    "open(p, 'w').write(json.dumps(d, sort_keys=True, separators=(',', ':'), ensure_ascii=False) + '\\n')",
];
function compact(python) {
  execFileSync(python, [...COMPACT, out], { stdio: "inherit" });
}
const out = resolve(here, "..", "openapi.json");
const base = process.env.IGOULTRA_API_URL;

if (base) {
  const response = await fetch(new URL("/api/v1/schema/?format=json", base), {
    headers: { Accept: "application/vnd.oai.openapi+json" },
  });
  if (!response.ok) {
    console.error(`GET /api/v1/schema/ answered ${response.status}`);
    process.exit(1);
  }
  writeFileSync(out, await response.text());
  compact(process.env.PYTHON ?? "python3");
} else {
  const backend = resolve(here, "..", "..", "..");
  const venvPython = join(backend, ".venv", "bin", "python");
  const python = process.env.PYTHON ?? (existsSync(venvPython) ? venvPython : "python3");
  execFileSync(python, ["manage.py", "spectacular", "--format", "openapi-json", "--file", out], {
    cwd: backend,
    stdio: "inherit",
    // The document production serves (DEBUG adds the browsable API's text/html answers). Writing
    // the schema needs no database: a placeholder DATABASE_URL keeps the embedded PostgreSQL of
    // a checkout without one from being started (and left running) for it.
    env: {
      ...process.env,
      DJANGO_DEBUG: "False",
      DATABASE_URL: process.env.DATABASE_URL || "postgres://schema-only@127.0.0.1:9/unused",
    },
  });
  compact(python);
}
console.log(`wrote ${out}`);
