"""CI/CD design (platform-neutral) and its renderers (GitHub Actions today)."""
