"""spectrum-reconciler: a GitOps reconciler for Cloudflare Spectrum applications."""

__version__ = "0.1.0"
