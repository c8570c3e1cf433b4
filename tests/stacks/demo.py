"""scripts/demo: the example pipeline under act against a throwaway local registry.

Starts docker-registry on a free 127.0.0.1 port and a loopback release server with the real wash
binary, runs examples/workflows/component.yml through act exactly as written (checkout → setup-wash →
build → publish), pulls the pushed component back with skopeo, and compares it with the built bytes.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.stacks import act as act_stack
from tests.stacks import registry as registry_stack
from tests.stacks import releases

ROOT = Path(__file__).resolve().parents[2]
WASH_VERSION = "2.10.3"


def main() -> int:
    from wash_actions import install, versions

    with tempfile.TemporaryDirectory(prefix="wash-actions-demo-") as tmp:
        base = Path(tmp)
        plat = install.host_platform()
        version = versions.parse_version(WASH_VERSION)
        store = releases.ReleaseStore()
        store.add(f"v{version}", install.asset_name(plat, version), releases.real_wash().read_bytes())
        with registry_stack.running(base / "registry") as reg, releases.serving(store) as server:
            print(f"registry:       {reg.url} (pid {reg.pid})")
            print(f"wash releases:  {server.url}")
            act = act_stack.Act.create(base / "act")
            project = act_stack.copy_project(ROOT / "examples" / "hello-python", base / "project")
            workflow = (ROOT / "examples" / "workflows" / "component.yml").read_text()
            started = time.monotonic()
            result = act.run(
                workflow,
                project=project,
                repository="acme/hello-python",
                variables={
                    "WASH_RELEASES_API_URL": server.url,
                    "REGISTRY": reg.host,
                    "REGISTRY_INSECURE": "true",
                    "TOOLS_PREINSTALLED": "true",
                },
                name="demo",
            )
            elapsed = time.monotonic() - started
            if result.returncode != 0:
                print(result.log[-6000:], file=sys.stderr)
                print(f"demo: the pipeline failed under act (exit {result.returncode})", file=sys.stderr)
                return 1
            build = result.outputs("build")
            publish = result.outputs("publish")
            digest = publish["digest"]
            pulled = base / "pulled"
            subprocess.run(
                [
                    "skopeo",
                    "copy",
                    "--quiet",
                    "--src-tls-verify=false",
                    f"docker://{publish['image-ref']}",
                    f"dir:{pulled}",
                ],
                check=True,
            )
            manifest = json.loads((pulled / "manifest.json").read_text())
            (layer,) = manifest["layers"]
            blob = (pulled / layer["digest"].split(":", 1)[1]).read_bytes()
            identical = hashlib.sha256(blob).hexdigest() == build["component-sha256"]
            resolved = reg.manifest("acme/hello-python", digest).headers.get("Docker-Content-Digest")
            print(f"wash:           {result.outputs('setup')['wash-version']} ({result.outputs('setup')['wash-path']})")
            print(f"component-path: {build['component-path']}")
            print(f"digest:         {digest} (resolves in the registry: {resolved == digest})")
            print(f"image-ref:      {publish['image-ref']}")
            print(f"tags:           {', '.join(json.loads(publish['tags']))}")
            print(f"pulled bytes equal built bytes: {identical} ({len(blob):,} bytes)")
            print(f"pipeline under act: {elapsed:.1f} s")
            return 0 if identical and resolved == digest else 1


if __name__ == "__main__":
    sys.exit(main())
