"""An embedded mini-web for the demo and tests: generated pages and images served on 127.0.0.1."""
