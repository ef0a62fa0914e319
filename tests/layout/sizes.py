#!/usr/bin/env python3
"""The size rules of the tree (issue 23, "One role per file"):

- no .cc/.h under services/ or tools/motctl over 500 lines unless its first comment
  says why (a comment line containing "over 500 lines" before the first code line);
- no function over 80 lines under services/ and tools/motctl (a definition whose body
  opens a line that starts at column 0 or at one level of class indentation, counted
  from its signature's first line to its closing brace);
- no file under tests/integration/ over 700 lines.

Prints each offender and exits 1 when there is one. Run from anywhere:
  tests/layout/sizes.py [ROOT]
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
root = os.path.abspath(root)
MAX_FILE, MAX_FUNCTION, MAX_INTEGRATION = 500, 80, 700


def sources(*dirs, exts=(".cc", ".h")):
    for d in dirs:
        for base, _, files in os.walk(os.path.join(root, d)):
            for f in sorted(files):
                if f.endswith(exts):
                    yield os.path.join(base, f)


def says_why(lines):
    """Whether the first comment (before any code) says why the file is long."""
    for line in lines:
        s = line.strip()
        if not s:
            continue
        if s.startswith("//") or s.startswith("#!") or s.startswith("#"):
            if s.startswith("//") and "over 500 lines" in s:
                return True
            if s.startswith("#") and not s.startswith("#!") and not s.startswith("# "):
                return False  # a preprocessor line: the code has begun
            continue
        return False
    return False


SIGNATURE_END = re.compile(r"\)\s*(const)?\s*(override)?\s*(noexcept)?\s*(->\s*[\w:<>,\s*&]+)?\s*(:.*)?\{\s*$")
NOT_A_FUNCTION = re.compile(r"^\s*(if|for|while|switch|else|do|namespace|class|struct|enum|union|extern|try|catch)\b|=\s*\[|^\s*\}")


def long_functions(path, lines):
    """(first line, length, signature) of each function over MAX_FUNCTION lines."""
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        indent = len(line) - len(line.lstrip(" "))
        if indent in (0, 2) and SIGNATURE_END.search(line) and not NOT_A_FUNCTION.search(line):
            # the signature may start a few lines up (arguments wrapped)
            start = i
            while start > 0 and lines[start - 1].strip() and not lines[start - 1].rstrip().endswith((";", "}", "{")) \
                    and not lines[start - 1].lstrip().startswith(("//", "#")) and i - start < 8:
                start -= 1
            depth = 0
            j = i
            while j < len(lines):
                code = re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'|//.*$', "", lines[j])
                depth += code.count("{") - code.count("}")
                if depth <= 0:
                    break
                j += 1
            length = j - start + 1
            if length > MAX_FUNCTION:
                out.append((start + 1, length, lines[start].strip()[:80]))
            i = j + 1
            continue
        i += 1
    return out


failures = []
for path in sources("services", "tools/motctl"):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    n = len(lines) - (1 if lines and lines[-1] == "" else 0)
    rel = os.path.relpath(path, root)
    if n > MAX_FILE and not says_why(lines):
        failures.append(f"{rel}: {n} lines (over {MAX_FILE}, and its first comment does not say why)")
    if path.endswith(".cc"):
        for first, length, sig in long_functions(path, lines):
            failures.append(f"{rel}:{first}: a function of {length} lines (over {MAX_FUNCTION}): {sig}")
for path in sources("tests/integration", exts=(".cc", ".h", ".sh", ".py")):
    with open(path, encoding="utf-8") as f:
        n = sum(1 for _ in f)
    if n > MAX_INTEGRATION:
        failures.append(f"{os.path.relpath(path, root)}: {n} lines (over {MAX_INTEGRATION})")

for f in failures:
    print(f)
print(f"layout sizes: {len(failures)} over the limits")
sys.exit(1 if failures else 0)
