"""wash-actions: GitHub Actions for WebAssembly components built with wasmCloud's wash."""

__version__ = "0.1.0"
