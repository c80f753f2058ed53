#!/usr/bin/env python3
"""clang-tidy over the project's sources, in parallel, with a cache of clean files.

    python3 scripts/clang_tidy.py BUILD_DIR [PREFIX...]     (default prefixes: host sdk plugins libs)

Checks every tracked .cpp under the prefixes that BUILD_DIR/compile_commands.json compiles,
with the project's .clang-tidy; any finding fails (exit 1) and is printed. A file found clean
is remembered under BUILD_DIR/clang-tidy-cache, keyed by its preprocessed source (so every
header it includes), its compile command, .clang-tidy and the clang-tidy version: a rerun
checks only what changed. COYOTE_TIDY_CACHE=0 checks everything.
"""
import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# clang-tidy 22 (Debian's bookworm-security backport, scripts/install-deps.sh): from LLVM 22 on,
# matchers skip nodes in system headers. Boost.Asio/Beast and libstdc++ had made 14 check ~60 000
# warnings it then discarded for every file; CI's lint stage took 1 024 s with 14, 250 s with 22.
CLANG_TIDY = os.environ.get("COYOTE_CLANG_TIDY", "clang-tidy-22")


def tracked_sources(prefixes):
    out = subprocess.run(["git", "ls-files", "--"] + [p + "/*.cpp" for p in prefixes] +
                         [p + "/*.cc" for p in prefixes], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.split()
    return {os.path.join(ROOT, f) for f in out}


def preprocess_command(entry):
    """The entry's compile command turned into `-E` to stdout."""
    args = entry.get("arguments") or shlex.split(entry["command"])
    result, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "-o":
            skip = True
            continue
        if a == "-c":
            continue
        result.append(a)
    return result + ["-E", "-o", "-"]


def cache_key(entry, salt):
    pre = subprocess.run(preprocess_command(entry), cwd=entry["directory"], capture_output=True)
    if pre.returncode != 0:
        return None  # cannot preprocess: let clang-tidy report it
    h = hashlib.sha256(salt)
    h.update(entry["command"].encode() if "command" in entry else " ".join(entry["arguments"]).encode())
    h.update(pre.stdout)
    return h.hexdigest()


def tidy(db_dir, path):
    proc = subprocess.run([CLANG_TIDY, "-p", db_dir, "--quiet",
                           "--extra-arg=-Wno-unknown-warning-option",
                           "--warnings-as-errors=*", path],
                          cwd=ROOT, capture_output=True, text=True)
    text = proc.stdout + proc.stderr
    findings = [line for line in text.splitlines() if ": warning:" in line or ": error:" in line]
    return proc.returncode == 0 and not findings, text


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build_dir = os.path.abspath(sys.argv[1])
    prefixes = sys.argv[2:] or ["host", "sdk", "plugins", "libs"]
    with open(os.path.join(build_dir, "compile_commands.json")) as f:
        database = json.load(f)
    entries = {os.path.abspath(os.path.join(e["directory"], e["file"])): e for e in database}
    # clang-tidy reads a private copy of the compile database: a cmake run on the same tree while
    # it works (bench/run.sh configures the tree it is given) rewrites the original.
    db_dir = os.path.join(build_dir, "clang-tidy-db")
    os.makedirs(db_dir, exist_ok=True)
    with open(os.path.join(db_dir, "compile_commands.json"), "w") as f:
        json.dump(database, f)
    wanted = tracked_sources(prefixes)
    files = sorted(p for p in entries if p in wanted)
    if not files:
        sys.exit("clang_tidy.py: no sources of %s in %s/compile_commands.json" % (prefixes, build_dir))

    version = subprocess.run([CLANG_TIDY, "--version"], capture_output=True).stdout
    with open(os.path.join(ROOT, ".clang-tidy"), "rb") as f:
        salt = version + f.read()
    use_cache = os.environ.get("COYOTE_TIDY_CACHE", "1") != "0"
    cache_dir = os.path.join(build_dir, "clang-tidy-cache")
    os.makedirs(cache_dir, exist_ok=True)
    jobs = os.cpu_count() or 2

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        keys = dict(zip(files, pool.map(lambda p: cache_key(entries[p], salt) if use_cache else None,
                                        files)))
        todo = [p for p in files
                if not (keys[p] and os.path.exists(os.path.join(cache_dir, keys[p])))]
        failed = 0
        for path, (clean, text) in zip(todo, pool.map(lambda p: tidy(db_dir, p), todo)):
            if clean:
                if keys[path]:
                    open(os.path.join(cache_dir, keys[path]), "w").close()
            else:
                failed += 1
                sys.stdout.write(text if text.endswith("\n") else text + "\n")
    print("clang-tidy: %d file(s), %d checked, %d from the cache, %d with findings"
          % (len(files), len(todo), len(files) - len(todo), failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
