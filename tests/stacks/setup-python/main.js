// A local stand-in for actions/setup-python under act, which cannot download GitHub's CPython builds
// (actions/python-versions) offline. It keeps the interface the wash-actions steps use (action.yml of
// actions/setup-python v6.3.0: input python-version and update-environment; outputs python-version and
// python-path, the absolute interpreter path) and takes the interpreter from this machine: python<x.y> on
// PATH. It fails, as the real action does, when the version is not available.
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const input = (name) => (process.env[`INPUT_${name.toUpperCase()}`] || "").trim();
const want = input("python-version");
const name = os.platform() === "win32" ? "python.exe" : `python${want}`;
const found = (process.env.PATH || "").split(path.delimiter).map((dir) => path.join(dir, name)).find((p) => fs.existsSync(p));
if (!found) {
  console.log(`::error::The version '${want}' was not found on this machine (local stand-in for actions/setup-python).`);
  process.exit(1);
}
const version = execFileSync(found, ["-c", "import platform; print(platform.python_version())"]).toString().trim();
const out = (key, value) => fs.appendFileSync(process.env.GITHUB_OUTPUT, `${key}=${value}${os.EOL}`);
out("python-version", version);
out("python-path", found);
if (input("update-environment") !== "false") fs.appendFileSync(process.env.GITHUB_PATH, path.dirname(found) + os.EOL);
