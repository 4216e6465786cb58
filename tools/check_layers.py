#!/usr/bin/env python3
"""Checks that src/ is layered one way: a folder includes only folders of lower layers.

The layers, lowest first (docs/architecture.md draws them). A folder may include its own
headers and those of any lower layer; one of the same layer or higher is an error. So a
REST job's way down (daemon -> api -> jobs -> launcher -> engine -> isolate -> plan ->
spec -> sys -> base) never goes back up, and siblings (engine and diag, jobs and client)
do not reach into each other. Also checks the link dependencies in each folder's
CMakeLists.txt the same way. Prints each violation; exit 1 if any.

Usage: tools/check_layers.py [SOURCE_ROOT]
"""
import pathlib
import re
import sys

LAYERS = [
    ["base"],
    ["sys"],
    ["spec"],
    ["plan"],
    ["isolate", "archive", "http", "image", "registry", "net"],
    ["engine", "diag"],
    ["launcher", "audit"],
    ["jobs", "client", "image_io", "instance"],
    ["api", "cli"],
    ["daemon"],
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/', re.M)
DEPS = re.compile(r"\bDEPS\s+([a-z_ \n]+?)(?:\n\s*(?:EXTERNAL|SOURCES)|\))", re.S)


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".") / "src"
    problems = []
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    for name in folders:
        if name not in RANK:
            problems.append(f"src/{name}: not in any layer (add it to {__file__})")
    for name in folders:
        if name not in RANK:
            continue
        for path in sorted((root / name).rglob("*")):
            if path.suffix not in (".h", ".cc"):
                continue
            for used in INCLUDE.findall(path.read_text(errors="replace")):
                if used != name and used in RANK and RANK[used] >= RANK[name]:
                    problems.append(f"{path.relative_to(root.parent)}: includes {used}/ "
                                    f"(layer {RANK[used]}) from layer {RANK[name]}")
        cmake = root / name / "CMakeLists.txt"
        if cmake.exists():
            for group in DEPS.findall(cmake.read_text()):
                for used in group.split():
                    if used in RANK and used != name and RANK[used] >= RANK[name]:
                        problems.append(f"src/{name}/CMakeLists.txt: links {used} "
                                        f"(layer {RANK[used]}) from layer {RANK[name]}")
    for p in problems:
        print(p)
    print(f"layers: {len(folders)} folders, {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
