"""Crawlers and importers that turn the web (HTML, WARC/WAT, URL lists) into manifests."""
