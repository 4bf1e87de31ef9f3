#!/usr/bin/env python3
"""Fails (exit 1) when a public symbol declared in the named targets has no documentation comment.

Usage: Scripts/docs-coverage.py PACKAGE_ROOT TARGET...

Reads the symbol graphs that `swift package generate-documentation` extracted into
.build/<triple>/extracted-symbols/<package>/<TARGET>/ and lists every public or open symbol whose
declaration is in the package's Sources/ and has no `///` comment (SPI symbols, for tests, aside). Symbols the compiler
synthesizes or inherits (an enum's `init(rawValue:)`, `Equatable`'s `!=`) have no declaration there
and are not listed.
"""
import glob
import json
import os
import sys


def undocumented(root, target):
    pattern = os.path.join(root, ".build", "*", "extracted-symbols", "*", target, "*.symbols.json")
    files = glob.glob(pattern)
    if not files:
        sys.exit("no symbol graphs for %s (%s): did the documentation build run?" % (target, pattern))
    sources = os.path.join(os.path.realpath(root), "Sources") + os.sep
    for path in files:
        with open(path, encoding="utf-8") as f:
            graph = json.load(f)
        for symbol in graph.get("symbols", []):
            if symbol.get("accessLevel") not in ("public", "open") or symbol.get("spi"):
                continue
            location = symbol.get("location")
            if not location:
                continue
            file = os.path.realpath(location["uri"].removeprefix("file://"))
            if not file.startswith(sources):
                continue
            comment = symbol.get("docComment") or {}
            if any(line.get("text", "").strip() for line in comment.get("lines", [])):
                continue
            name = ".".join(symbol.get("pathComponents", [])) or symbol["names"]["title"]
            yield os.path.relpath(file, root), location["position"]["line"] + 1, name


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    root = sys.argv[1]
    missing = sorted({m for target in sys.argv[2:] for m in undocumented(root, target)})
    for file, line, name in missing:
        print("%s:%d: error: public symbol '%s' has no documentation comment" % (file, line, name))
    if missing:
        print("%d public symbols without documentation" % len(missing), file=sys.stderr)
        sys.exit(1)
    print("every public symbol of %s is documented" % ", ".join(sys.argv[2:]))


main()
