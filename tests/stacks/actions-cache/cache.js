// A local stand-in for actions/cache, restore and save, for running workflows under act offline.
// GitHub's cache service cannot run here; this keeps the action's documented interface (inputs path,
// key, restore-keys; outputs cache-hit, cache-primary-key, cache-matched-key; save in the post step)
// and stores entries as directory copies under $ACT_FAKE_CACHE_DIR/<version>/<key>/. As in the real
// service, an entry's version is derived from its paths as written (actions/toolkit
// packages/cache/src/internal/cacheUtils.ts getCacheVersion hashes the patterns, not the expanded paths): a
// restore with other paths does not match, and "~/x" matches "~/x" on a runner with another home directory.
// As the real action's tar archive (created and extracted in GITHUB_WORKSPACE with paths relative to it:
// cacheUtils.ts resolvePaths, tar.ts), an entry restores to the same place relative to the workspace.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const input = (name) => (process.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] || "").trim();
const lines = (text) => text.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
const expand = (p) => (p.startsWith("~") ? path.join(os.homedir(), p.slice(1)) : path.resolve(p));
const workspace = () => process.env.GITHUB_WORKSPACE || process.cwd();
const root = () => process.env.ACT_FAKE_CACHE_DIR || path.join(os.tmpdir(), "act-fake-actions-cache");
let paths = [];
let patterns = [];
const version = () => crypto.createHash("sha256").update(JSON.stringify(patterns)).digest("hex").slice(0, 16);
const store = () => path.join(root(), version());
const entryDir = (key) => path.join(store(), encodeURIComponent(key));

function fileCommand(variable, name, value) {
  const delimiter = `ghadelimiter_${Date.now()}_${Math.random().toString(16).slice(2)}`;
  fs.appendFileSync(process.env[variable], `${name}<<${delimiter}${os.EOL}${value}${os.EOL}${delimiter}${os.EOL}`);
}
const setOutput = (name, value) => fileCommand("GITHUB_OUTPUT", name, value);
const saveState = (name, value) => fileCommand("GITHUB_STATE", name, value);

function restore() {
  const key = input("key");
  patterns = lines(input("path"));
  paths = patterns.map(expand);
  const candidates = [key, ...lines(input("restore-keys"))];
  setOutput("cache-primary-key", key);
  saveState("CACHE_KEY", key);
  saveState("CACHE_PATTERNS", JSON.stringify(patterns));
  // as the service matches (docs.github.com, "Cache key matching"): key exactly, else the newest entry whose
  // key starts with it; then each restore key the same way
  const newest = (prefix) => {
    if (!fs.existsSync(store())) return "";
    const entries = fs.readdirSync(store()).filter((name) => !name.includes(".tmp-")).map(decodeURIComponent);
    const found = entries.filter((k) => k.startsWith(prefix) && fs.existsSync(path.join(entryDir(k), "paths.json")));
    found.sort((a, b) => fs.statSync(entryDir(a)).mtimeMs - fs.statSync(entryDir(b)).mtimeMs || (a < b ? -1 : 1));
    return found.length ? found[found.length - 1] : "";
  };
  let matched = "";
  for (const candidate of candidates) {
    if (fs.existsSync(path.join(entryDir(candidate), "paths.json"))) { matched = candidate; break; }
    matched = newest(candidate);
    if (matched) break;
  }
  if (!matched) {
    console.log(`Cache not found for input keys: ${candidates.join(", ")}`);
    setOutput("cache-hit", "false");
    return;
  }
  const saved = JSON.parse(fs.readFileSync(path.join(entryDir(matched), "paths.json"), "utf8"));
  saved.forEach((relative, i) => {
    const target = path.resolve(workspace(), relative);
    const source = path.join(entryDir(matched), "data", String(i));
    if (fs.existsSync(source)) fs.cpSync(source, target, { recursive: true, force: true });
  });
  console.log(`Cache restored from key: ${matched}`);
  setOutput("cache-matched-key", matched);
  setOutput("cache-hit", String(matched === key));
  saveState("CACHE_RESULT", matched);
}

function save(key, savedPatterns) {
  patterns = savedPatterns;
  paths = patterns.map(expand);
  if (!key) return;
  if (fs.existsSync(path.join(entryDir(key), "paths.json"))) {
    console.log(`Cache entry ${key} already exists; not saving.`);
    return;
  }
  const staging = `${entryDir(key)}.tmp-${process.pid}`;
  fs.mkdirSync(path.join(staging, "data"), { recursive: true });
  paths.forEach((p, i) => {
    if (fs.existsSync(p)) fs.cpSync(p, path.join(staging, "data", String(i)), { recursive: true });
  });
  fs.writeFileSync(path.join(staging, "paths.json"), JSON.stringify(paths.map((p) => path.relative(workspace(), p))));
  try {
    fs.renameSync(staging, entryDir(key));
  } catch (error) {
    // another job saved the same key first; like the real service, warn and go on
    fs.rmSync(staging, { recursive: true, force: true });
    console.log(`Warning: cache entry ${key} was saved by another job (${error.code}); not saving.`);
    return;
  }
  console.log(`Cache saved with key: ${key}`);
}

const mode = process.argv[2];
if (mode === "restore") restore();
else if (mode === "post") {
  const key = process.env.STATE_CACHE_KEY;
  if (process.env.STATE_CACHE_RESULT === key) console.log("Cache hit occurred on the primary key; not saving.");
  else save(key, JSON.parse(process.env.STATE_CACHE_PATTERNS || "[]"));
} else if (mode === "save") save(input("key"), lines(input("path")));
