#!/usr/bin/env python3
"""Compare two VCDs up to identifier codes and declaration order.

Usage: scripts/wave-equiv.py A.vcd B.vcd

Maps each identifier code to the full hierarchical names declared for it, and
compares, for every name present in both files, the list of (time, value)
changes. Prints the first difference and exits 1; prints the names present in
only one file (informational, they do not fail the comparison unless --strict);
exit 0 when every common signal changes identically. Exit 2 on unreadable input.
"""
import sys


def parse(path):
    names = {}  # code -> [full names]
    scope = []
    changes = {}  # code -> [(time, value)]
    t = 0
    try:
        f = open(path, "r", encoding="ascii", errors="replace")
    except OSError as e:
        print(f"wave-equiv: cannot read {path}: {e}", file=sys.stderr)
        sys.exit(2)
    with f:
        it = iter(f)
        for line in it:
            s = line.split()
            if not s:
                continue
            if s[0] == "$scope":
                scope.append(s[2])
            elif s[0] == "$upscope":
                scope.pop()
            elif s[0] == "$var":
                code = s[3]
                ref = " ".join(s[4:-1])  # name plus optional [msb:lsb]
                names.setdefault(code, []).append(".".join(scope + [ref]))
            elif s[0] == "$enddefinitions":
                break
        for line in it:
            c = line[:1]
            if c == "#":
                t = int(line[1:])
            elif c in "bBrR":
                v, code = line[1:].split()
                changes.setdefault(code, []).append((t, v))
            elif c in "01xzXZ":
                changes.setdefault(line[1:].strip(), []).append((t, c))
            # $dumpvars/$end/$comment lines carry no values of their own
    byname = {}
    for code, ns in names.items():
        ch = changes.get(code, [])
        for n in ns:
            byname[n] = ch
    return byname


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    strict = "--strict" in sys.argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    a, b = parse(args[0]), parse(args[1])
    only_a = sorted(set(a) - set(b))
    only_b = sorted(set(b) - set(a))
    for n in only_a:
        print(f"only in {args[0]}: {n}")
    for n in only_b:
        print(f"only in {args[1]}: {n}")
    for n in sorted(set(a) & set(b)):
        if a[n] != b[n]:
            ca, cb = a[n], b[n]
            i = next((k for k in range(min(len(ca), len(cb))) if ca[k] != cb[k]), min(len(ca), len(cb)))
            ea = ca[i] if i < len(ca) else "(no more changes)"
            eb = cb[i] if i < len(cb) else "(no more changes)"
            print(f"DIFFER {n}: change {i}: {ea} vs {eb}")
            sys.exit(1)
    common = len(set(a) & set(b))
    print(f"equivalent: {common} common signals, {len(only_a)} only in A, {len(only_b)} only in B")
    sys.exit(1 if strict and (only_a or only_b) else 0)


if __name__ == "__main__":
    main()
