"""Browser tests of the built book (Playwright + headless Chromium)."""
