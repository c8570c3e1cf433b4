"""WasmCloud workload manifests: read safely, admitted, bound as the host binds them, components by image."""
