#!/usr/bin/env python3
"""The layers, enforced: every #include in src/ against the one allowed graph below,
and every eb_* library's target_link_libraries in src/*/CMakeLists.txt equal to it.

A file in layer L may include its own layer, the layers LAYERS[L] names and the
C++/POSIX system headers; a third-party header only if LIBRARIES[L] names its library.
The link edges of eb_L are exactly LAYERS[L] and LIBRARIES[L]: PUBLIC when one of L's
headers includes it (a user of L compiles it too), PRIVATE when only L's .cc files do.
An edge that no file uses is an error too: drop it here and in CMake.

Usage: layers_test.py SOURCE_DIR       (exit 0: the layers hold; 1: each breach printed)
       layers_test.py --self-test      (the checker catches a planted breach of each kind)
"""
import os
import re
import sys
import tempfile

# The allowed graph, written once. cli -> sources, actions, stores -> aws -> http -> base;
# everything above core may use core; core uses only base.
LAYERS = {
    "base": [],
    "core": ["base"],
    "http": ["base"],
    "aws": ["http", "core", "base"],
    "stores": ["aws", "http", "core", "base"],
    "sources": ["http", "core", "base"],
    "actions": ["aws", "http", "core", "base"],
    "cli": ["sources", "actions", "stores", "aws", "http", "core", "base"],
}

# Third-party libraries: how a file includes one, and its CMake target.
THIRD_PARTY = {
    "nlohmann": (re.compile(r"^nlohmann/"), "nlohmann_json::nlohmann_json"),
    "openssl": (re.compile(r"^openssl/"), "eb_openssl"),
    # Compiled in from its single header (src/http/CMakeLists.txt); the edge is its OpenSSL.
    "httplib": (re.compile(r"^httplib\.h$"), "eb_openssl"),
    "cli11": (re.compile(r"^CLI/"), "CLI11::CLI11"),
}
LIBRARIES = {
    "base": ["nlohmann", "openssl"],
    "core": ["nlohmann"],
    "http": ["httplib", "openssl"],
    "aws": ["nlohmann"],
    "stores": [],
    "sources": ["nlohmann"],
    "actions": ["nlohmann"],
    "cli": ["nlohmann", "cli11"],
}

# System headers outside the C++ standard library (which has no '.' and no '/').
POSIX = re.compile(
    r"^(sys/[a-z_]+\.h|unistd\.h|fcntl\.h|poll\.h|signal\.h|dirent\.h|limits\.h|stdlib\.h|"
    r"errno\.h|string\.h|time\.h|netdb\.h|netinet/[a-z]+\.h|arpa/inet\.h|pthread\.h)$")
# Linked everywhere through eb_base, not a layer edge.
IGNORED_TARGETS = {"Threads::Threads"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]', re.M)
LINK = re.compile(r"target_link_libraries\(\s*eb_(\w+)\s+([^)]*)\)", re.S)


def check_includes(src):
    """Returns (errors, uses): uses[layer][dep] = True if a header uses dep, else False."""
    errors, uses = [], {layer: {} for layer in LAYERS}
    for layer in sorted(os.listdir(src)):
        folder = os.path.join(src, layer)
        if not os.path.isdir(folder):
            continue
        if layer not in LAYERS:
            errors.append(f"src/{layer}/: a folder that is no layer (add it to LAYERS)")
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith((".h", ".cc")):
                continue
            path = f"src/{layer}/{name}"
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                text = f.read()
            header = name.endswith(".h")
            for quote, target in INCLUDE.findall(text):
                dep = None
                if quote == '"':
                    dep = target.split("/")[0] if "/" in target else None
                    if dep is None or dep not in LAYERS:
                        errors.append(f'{path}: #include "{target}": not a layer path (LAYER/file.h)')
                        continue
                    if dep != layer and dep not in LAYERS[layer]:
                        errors.append(f'{path}: #include "{target}": {layer} may not use {dep}'
                                      f" (it may use: {', '.join(LAYERS[layer]) or 'nothing'})")
                        continue
                    if dep == layer:
                        continue
                elif "." not in target and "/" not in target or POSIX.match(target):
                    continue  # the C++ standard library, POSIX
                else:
                    dep = next((lib for lib, (pattern, _) in THIRD_PARTY.items()
                                if pattern.match(target)), None)
                    if dep is None:
                        errors.append(f"{path}: #include <{target}>: a library no layer may use")
                        continue
                    if dep not in LIBRARIES[layer]:
                        errors.append(f"{path}: #include <{target}>: {layer} may not use {dep}")
                        continue
                uses[layer][dep] = uses[layer].get(dep, False) or header
    return errors, uses


def target_name(dep):
    return THIRD_PARTY[dep][1] if dep in THIRD_PARTY else "eb_" + dep


def check_links(src, uses):
    errors = []
    declared = {}
    for layer in LAYERS:
        path = os.path.join(src, layer, "CMakeLists.txt")
        if not os.path.exists(path):
            errors.append(f"src/{layer}/CMakeLists.txt: missing")
            continue
        with open(path, encoding="utf-8") as f:
            text = re.sub(r"#[^\n]*", "", f.read())
        for lib, args in LINK.findall(text):
            scope = "PUBLIC"
            for word in args.split():
                if word in ("PUBLIC", "PRIVATE", "INTERFACE"):
                    scope = word
                elif word not in IGNORED_TARGETS:
                    declared.setdefault(lib, {})[word] = scope
    for layer in LAYERS:
        want = {target_name(d): ("PUBLIC" if uses[layer].get(d) else "PRIVATE")
                for d in LAYERS[layer] + LIBRARIES[layer]}
        have = declared.get(layer, {})
        where = f"src/{layer}/CMakeLists.txt: eb_{layer}"
        for dep in LAYERS[layer] + LIBRARIES[layer]:
            if dep not in uses[layer]:
                errors.append(f"{where}: may use {dep} but no file in src/{layer}/ includes it:"
                              " drop the edge (here and in tests/layers_test.py)")
        for target, scope in sorted(want.items()):
            if target not in have:
                errors.append(f"{where}: links no {target} (want {scope} {target})")
            elif have[target] != scope:
                why = "a header includes it" if scope == "PUBLIC" else "only .cc files include it"
                errors.append(f"{where}: links {have[target]} {target}, want {scope} ({why})")
        for target in sorted(set(have) - set(want)):
            errors.append(f"{where}: links {target}, which the layer graph does not allow")
    return errors


def check(src):
    errors, uses = check_includes(src)
    return errors + check_links(src, uses)


def self_test():
    """Plants one breach of each kind in a copy-shaped tree and expects each to be caught."""
    def tree(files):
        root = tempfile.mkdtemp(prefix="layers_test.")
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w", encoding="utf-8") as f:
                f.write(text)
        return root

    def good():
        files = {}
        for layer in LAYERS:
            deps = LAYERS[layer] + LIBRARIES[layer]
            inc = "".join(f'#include "{d}/x.h"\n' for d in LAYERS[layer])
            inc += "".join(f"#include <{ {'nlohmann': 'nlohmann/json.hpp', 'openssl': 'openssl/evp.h', 'httplib': 'httplib.h', 'cli11': 'CLI/CLI.hpp'}[d]}>\n"
                           for d in LIBRARIES[layer])
            files[f"{layer}/x.cc"] = '#include <vector>\n#include <sys/stat.h>\n' + inc
            files[f"{layer}/x.h"] = "#pragma once\n"
            links = " ".join(target_name(d) for d in deps)
            files[f"{layer}/CMakeLists.txt"] = (
                f"add_library(eb_{layer} x.cc)\ntarget_link_libraries(eb_{layer} PRIVATE {links})\n"
                if deps else f"add_library(eb_{layer} x.cc)\n")
        return files

    assert check(tree(good())) == [], check(tree(good()))
    cases = {
        "core may not use stores": ("core/x.cc", '#include "stores/x.h"\n'),
        "a library no layer may use": ("aws/x.cc", "#include <curl/curl.h>\n"),
        "sources may not use httplib": ("sources/x.cc", "#include <httplib.h>\n"),
        "not a layer path": ("cli/x.cc", '#include "x.h"\n'),
    }
    for want, (rel, line) in cases.items():
        files = good()
        files[rel] += line
        got = check(tree(files))
        assert any(want in e for e in got), (want, got)
    files = good()  # a header's include wants PUBLIC
    files["aws/x.h"] += '#include "http/x.h"\n'
    assert any("eb_http, want PUBLIC" in e for e in check(tree(files))), check(tree(files))
    files = good()  # an edge the graph does not allow
    files["actions/CMakeLists.txt"] = files["actions/CMakeLists.txt"].replace(")", " eb_stores)")
    assert any("eb_stores, which the layer graph does not allow" in e for e in check(tree(files)))
    files = good()  # an allowed edge nobody uses
    files["stores/x.cc"] = files["stores/x.cc"].replace('#include "http/x.h"\n', "")
    assert any("may use http but no file" in e for e in check(tree(files))), check(tree(files))
    print("layers_test self-test: every planted breach caught")


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        return 0
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    errors = check(os.path.join(sys.argv[1], "src"))
    for e in errors:
        print(e)
    if errors:
        print(f"layers_test: {len(errors)} breach(es) of the layer graph (tests/layers_test.py)")
        return 1
    print(f"layers_test: every #include in src/ and every eb_* link edge follows the layer graph")
    return 0


if __name__ == "__main__":
    sys.exit(main())
