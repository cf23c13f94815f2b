"""Source-level RTL mutation operators for `make mutants` (docs/mutants.md).

Every mutant is found by a pattern in the Verilog text, never by a line number, so a
behaviour-preserving rewrite elsewhere in a file leaves the other mutants' ids alone. A
mutant's id is `<file>:<operator>:<what it matched, whitespace-normalised>#<n>`, where n
counts equal matches in the file (0 for the first).

The patterns relied on (a rewrite that changes them changes the mutant set, nothing else):
- `if (COND)` with balanced parentheses: cond-invert, term-drop (in COND);
- `assign NAME = EXPR;` and `wire [..] NAME = EXPR;`: term-drop (in EXPR), stuck-at ('0, '1);
- `NAME_d = EXPR;` (next state in a combinational block): term-drop (in EXPR);
- `NAME_q <= NAME_d;` (the clocked copy of lowRISC style): stuck-at per bit;
- `SIG = 1'bV;` blocking assignments in combinational blocks: const-flip;
- a comparison `==, !=, <, <=, >, >=` against a sized decimal literal `W'dK` or a
  parameter: off-by-one (K+1 / K-1, `<` <-> `<=`, `>` <-> `>=`);
- `assign NAME_o = EXPR;` for an output port `output wire [..] NAME_o` and a clock port
  `clk_i`: delay (the output one clock late through a flop).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The files issue 13 names, per device: the interrupt block, the PCI target, the MSI writer
# and (the display's) timed window.
DEFAULT_FILES = {
    "display": ["dirql_irq.v", "pci_target.v", "dirql_msi.v", "dirql_seq_window.v"],
    "nic": ["nic_irq.v", "nic_pci_target.v"],
}


@dataclass
class Mutant:
    id: str
    file: str
    operator: str
    description: str
    start: int
    end: int
    replacement: str
    # The schema form (see `schema`): the expression or statement that holds the mutation,
    # what it becomes, and module items the mutant needs before it (the delay's flop).
    host: tuple[int, int, str] | None = None
    host_mutated: str | None = None
    prelude: tuple[int, str] | None = None

    def apply(self, text: str) -> str:
        return LINT_PREFIX + text[: self.start] + self.replacement + text[self.end :]

    def mutated_host(self, text: str) -> str:
        if self.host_mutated is not None:
            return self.host_mutated
        hs, he, _ = self.host
        return text[hs : self.start] + self.replacement + text[self.end : he]


# A mutant may change an expression's width (a dropped term, a stuck-at fill): Verilator
# extends or truncates it as the language says instead of stopping on WIDTH, which build.rs
# keeps fatal for the real RTL. Only ever added to a mutated copy.
LINT_PREFIX = "/* verilator lint_off WIDTH */\n"


def _norm(s: str) -> str:
    return " ".join(s.split())


def _strip_comments(text: str) -> str:
    """Comments blanked out with spaces (offsets kept), so patterns never match inside one."""

    def blank(m: re.Match) -> str:
        return re.sub(r"[^\n]", " ", m.group(0))

    return re.sub(r"//[^\n]*|/\*.*?\*/", blank, text, flags=re.S)


def _close_paren(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unbalanced parenthesis at offset {open_at}")


def _binary_ops(expr: str, ops: tuple[str, ...]) -> list[tuple[int, str]]:
    """Top-level (depth 0) binary operators of `expr` among `ops`, with their offsets."""
    found = []
    depth = 0
    i = 0
    while i < len(expr):
        c = expr[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0:
            two = expr[i : i + 2]
            if two in ("&&", "||"):
                if two in ops:
                    found.append((i, two))
                i += 2
                continue
            if c in "&|^" and expr[i - 1 : i] not in ("~",) and two not in ("&&", "||"):
                # Binary only when an operand ends just before it.
                before = expr[:i].rstrip()
                if before and (before[-1].isalnum() or before[-1] in ")]}_'") and c in ops:
                    found.append((i, c))
        i += 1
    return found


def _terms(expr: str) -> list[tuple[int, int]]:
    """Operands of the lowest-precedence AND/OR level of `expr` (offsets into it), or []."""
    if "?" in _depth0(expr):
        return []
    for level in (("||",), ("&&",), ("|",), ("&",)):
        ops = _binary_ops(expr, level)
        if ops:
            bounds, prev = [], 0
            for at, op in ops:
                bounds.append((prev, at))
                prev = at + len(op)
            bounds.append((prev, len(expr)))
            return bounds
        # A lower-precedence operator of another kind at this level stops the search.
        if level == ("&&",) and _binary_ops(expr, ("|", "&", "^")) and not _binary_ops(expr, ("|", "&")):
            return []
    return []


def _depth0(expr: str) -> str:
    out, depth = [], 0
    for c in expr:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0:
            out.append(c)
    return "".join(out)


def _drop_term_mutants(expr: str, base: int) -> list[tuple[int, int, str, str]]:
    """(start, end, replacement, dropped) for each term of `expr` dropped, recursively into
    parenthesised sub-expressions."""
    out = []
    terms = _terms(expr)
    if len(terms) >= 2:
        for k, (s, e) in enumerate(terms):
            # Drop term k with its neighbouring operator.
            if k == 0:
                cut_s, cut_e = s, terms[1][0]
            else:
                cut_s, cut_e = terms[k - 1][1], e
            dropped = _norm(expr[s:e])
            out.append((base + cut_s, base + cut_e, "", dropped))
    for m in re.finditer(r"\(", expr):
        try:
            close = _close_paren(expr, m.start())
        except ValueError:
            continue
        inner = expr[m.start() + 1 : close]
        if len(_terms(inner)) >= 2 and (m.start(), close) != (0, len(expr) - 1):
            sub = _drop_term_mutants(inner, base + m.start() + 1)
            # Only this level: deeper levels are found by their own parenthesis.
            out.extend(x for x in sub if x not in out)
    # Deduplicate (a nested group is found from each enclosing level).
    seen, uniq = set(), []
    for x in out:
        if x[:2] not in seen:
            seen.add(x[:2])
            uniq.append(x)
    return uniq


def _localparams(texts: list[str]) -> dict[str, int]:
    vals: dict[str, int] = {}
    for t in texts:
        for m in re.finditer(r"(?:localparam|parameter)\s+(?:integer\s+)?(\w+)\s*=\s*(\d+)\s*[;,)]", t):
            vals[m.group(1)] = int(m.group(2))
    return vals


def _width(rng: str | None, params: dict[str, int]) -> int | None:
    """Width of a `[A:B]` range, evaluating simple parameter arithmetic; None if unknown."""
    if rng is None:
        return 1
    m = re.fullmatch(r"\[\s*([^:\]]+)\s*:\s*([^\]]+)\s*\]", rng.strip())
    if not m:
        return None
    try:
        env = {k: v for k, v in params.items()}
        hi = eval(re.sub(r"\b[A-Za-z_]\w*\b", lambda x: str(env[x.group(0)]), m.group(1)), {"__builtins__": {}})
        lo = eval(re.sub(r"\b[A-Za-z_]\w*\b", lambda x: str(env[x.group(0)]), m.group(2)), {"__builtins__": {}})
        return abs(int(hi) - int(lo)) + 1
    except (KeyError, SyntaxError, TypeError, ValueError, NameError):
        return None


def enumerate_mutants(file: str, text: str, include_text: str = "") -> list[Mutant]:
    code = _strip_comments(text)
    params = _localparams([_strip_comments(include_text), code])
    # operator, key, start, end, replacement, description, schema fields (Mutant.host...)
    raw: list[tuple[str, str, int, int, str, str, dict]] = []

    # Declared widths of regs, wires and ports.
    widths: dict[str, int | None] = {}
    for m in re.finditer(r"\b(?:reg|wire|logic|input|output)\b\s*(?:wire|reg|logic)?\s*(\[[^\]]+\])?\s*([\w\s,]+?)[;)=\n]", code):
        for name in re.split(r"\s*,\s*", m.group(2).strip()):
            if re.fullmatch(r"\w+", name) and name not in ("wire", "reg", "logic"):
                widths.setdefault(name, _width(m.group(1), params))

    # cond-invert and term-drop in if conditions.
    for m in re.finditer(r"\bif\s*\(", code):
        open_at = m.end() - 1
        close = _close_paren(code, open_at)
        cond = code[open_at + 1 : close]
        if re.fullmatch(r"\s*!\s*rst_ni\s*", cond):
            continue  # the reset branch: inverting it resets the adapter forever
        raw.append(("cond-invert", _norm(cond), open_at + 1, close, f"!({cond.strip()})", f"if ({_norm(cond)}) inverted", {"host": (open_at + 1, close, "expr")}))
        for s, e, rep, dropped in _drop_term_mutants(cond, open_at + 1):
            raw.append(("term-drop", f"{_norm(cond)} -{dropped}", s, e, rep, f"if ({_norm(cond)}): term `{dropped}` dropped", {"host": (open_at + 1, close, "expr")}))

    # Continuous assignments and wire declarations with an initialiser.
    for m in re.finditer(r"\b(?:assign\s+(\w+(?:\[[^\]]+\])?)|wire\s*(?:\[[^\]]+\])?\s*(\w+))\s*=\s*([^;]+);", code):
        lhs = m.group(1) or m.group(2)
        expr_s, expr_e = m.start(3), m.end(3)
        expr = code[expr_s:expr_e]
        for s, e, rep, dropped in _drop_term_mutants(expr, expr_s):
            raw.append(("term-drop", f"{lhs} -{dropped}", s, e, rep, f"{lhs} = ...: term `{dropped}` dropped", {"host": (expr_s, expr_e, "expr")}))
        for v in ("0", "1"):
            raw.append(("stuck-at", f"{lhs}={v}", expr_s, expr_e, f"'{v}", f"{lhs} stuck at {v}", {"host": (expr_s, expr_e, "expr")}))
        # delay: an output one clock late.
        if m.group(1) and re.fullmatch(r"\w+_o", lhs) and "clk_i" in code:
            w = widths.get(lhs)
            if w:
                dly = f"{lhs}_mut_dly_q"
                rng = f"[{w - 1}:0] " if w > 1 else ""
                rep = (
                    f"reg {rng}{dly};\n  always @(posedge clk_i) {dly} <= {expr.strip()};\n"
                    f"  assign {lhs} = {dly};"
                )
                raw.append(("delay", lhs, m.start(), m.end(), rep, f"{lhs} one clock late", {"host": (expr_s, expr_e, "expr"), "host_mutated": dly, "prelude": (m.start(), f"reg {rng}{dly};\n  always @(posedge clk_i) {dly} <= {expr.strip()};\n  ")}))

    # term-drop in blocking assignments of the next state: `x_d = EXPR;`
    for m in re.finditer(r"\b(\w+_d)\s*=\s*([^;]+);", code):
        if code[m.end(1) : m.start(2)].strip() != "=":
            continue
        lhs, expr_s = m.group(1), m.start(2)
        for s, e, rep, dropped in _drop_term_mutants(m.group(2), expr_s):
            raw.append(("term-drop", f"{lhs} -{dropped}", s, e, rep, f"{lhs} = ...: term `{dropped}` dropped", {"host": (expr_s, m.end(2), "expr")}))

    # stuck-at per bit of a flop: `x_q <= x_d;`
    for m in re.finditer(r"\b(\w+)_q\s*<=\s*(\w+)_d\s*;", code):
        if m.group(1) != m.group(2):
            continue
        name = m.group(1)
        w = widths.get(f"{name}_q")
        if w is None:
            continue
        stmt = m.group(0)
        bits = range(w) if w <= 8 else []
        for v in ("0", "1"):
            if w == 1 or w > 8:
                raw.append(("stuck-at", f"{name}_q={v}", m.start(), m.end(), f"{name}_q <= '{v};", f"flop {name}_q stuck at {v}", {"host": (m.start(), m.end(), "stmt")}))
            for b in bits if w > 1 else []:
                rep = f"begin {stmt} {name}_q[{b}] <= 1'b{v}; end"
                raw.append(("stuck-at", f"{name}_q[{b}]={v}", m.start(), m.end(), rep, f"flop {name}_q bit {b} stuck at {v}", {"host": (m.start(), m.end(), "stmt")}))

    # const-flip: `sig = 1'bV;` (blocking, combinational blocks only)
    for m in re.finditer(r"(\b[\w\[\]:]+\s*=\s*)1'b([01])\s*;", code):
        if code[m.start() - 1 : m.start()] in "<!=":
            continue
        lhs = _norm(m.group(1).rstrip("= \t"))
        v = m.group(2)
        flipped = "1" if v == "0" else "0"
        s = m.start() + len(m.group(1))
        raw.append(("const-flip", f"{lhs}=1'b{v}", s, s + 4, f"1'b{flipped}", f"{lhs} = 1'b{v} -> 1'b{flipped}", {"host": (s, s + 4, "expr")}))

    # off-by-one in comparisons against a sized literal or a parameter.
    for m in re.finditer(r"(==|!=|<=|>=|<|>)\s*(?:(\d+)'d(\d+)|([A-Z][A-Z0-9_]*))\b", code):
        op = m.group(1)
        if code[m.start() - 1 : m.start()] in "<>=!" or code[m.end(1) : m.end(1) + 1] in "<>=":
            continue  # part of a shift or of a longer operator
        stmt_before = re.split(r"[;\n]|\bbegin\b|\belse\b", code[: m.start()])[-1]
        if op == "<=" and re.fullmatch(r"\s*\w+(\[[^\]]*\])?\s*", stmt_before):
            continue  # a non-blocking assignment, not a comparison
        if m.group(2):
            w, k = int(m.group(2)), int(m.group(3))
            lit_s = m.start(2)
            for nk in (k + 1, k - 1):
                if 0 <= nk < (1 << w):
                    raw.append(("off-by-one", f"{op} {w}'d{k}->{nk}", lit_s, m.end(), f"{w}'d{nk}", f"comparison `{op} {w}'d{k}` -> `{op} {w}'d{nk}`", {}))
        swap = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}.get(op)
        if swap:
            tgt = m.group(0).split(op, 1)[1].strip()
            raw.append(("off-by-one", f"{op}{tgt}->{swap}", m.start(1), m.end(1), swap, f"comparison `{op} {tgt}` -> `{swap} {tgt}`", {}))

    # A mutant without a host of its own (off-by-one) lives in the innermost if condition or
    # right-hand side around it.
    hosts = sorted({x[6]["host"] for x in raw if x[6].get("host") and x[6]["host"][2] == "expr"}, key=lambda h: h[1] - h[0])
    mutants, counts = [], {}
    for op, key, s, e, rep, desc, extra in raw:
        if "host" not in extra:
            around = [h for h in hosts if h[0] <= s and e <= h[1]]
            extra = dict(extra, host=around[0] if around else None)
        base = f"{file}:{op}:{key}"
        n = counts.get(base, 0)
        counts[base] = n + 1
        mutants.append(Mutant(f"{base}#{n}", file, op, desc, s, e, rep, **extra))
    return mutants


def schema(text: str, numbered: list[tuple[int, Mutant]]) -> tuple[str, list[Mutant]]:
    """All of a file's mutants in one text, each active only while `mut_sel` (a 16-bit
    value read with $readmemh from `mutant_sel.hex` in the simulator's working folder)
    equals its number: one Verilator build serves every mutant of the file (a mutant
    schema). Returns the text and the mutants left out (no host, or a host that overlaps
    another one without being the same)."""
    by_host: dict[tuple[int, int, str], list[tuple[int, Mutant]]] = {}
    left_out = []
    for k, m in numbered:
        if m.host is None:
            left_out.append(m)
        else:
            by_host.setdefault(m.host, []).append((k, m))
    edits = []  # (start, end, text)
    taken: list[tuple[int, int]] = []
    for host in sorted(by_host, key=lambda h: (h[0], -h[1])):
        hs, he, kind = host
        if any(hs < te and ts < he and (hs, he) != (ts, te) for ts, te in taken):
            left_out += [m for _, m in by_host[host]]
            continue
        taken.append((hs, he))
        orig = text[hs:he]
        if kind == "expr":
            alt = f"({orig})"
            for k, m in reversed(by_host[host]):
                alt = f"((mut_sel == 16'd{k}) ? ({m.mutated_host(text)}) : {alt})"
        else:
            alt = "".join(f"if (mut_sel == 16'd{k}) begin {m.mutated_host(text)} end else " for k, m in by_host[host])
            alt += f"begin {orig} end"
        edits.append((hs, he, alt))
        for _, m in by_host[host]:
            if m.prelude:
                edits.append((m.prelude[0], m.prelude[0], m.prelude[1]))
    # The selector, right after the port list.
    mod = re.search(r"\bmodule\s+\w+\s*", text)
    at = mod.end()
    if text[at] == "#":
        at = _close_paren(text, text.index("(", at)) + 1
    at = _close_paren(text, text.index("(", at))
    at = text.index(";", at) + 1
    edits.append(
        (
            at,
            at,
            "\n  // dirql mutant schema (scripts/rtl_mutants.py)\n"
            "  reg [15:0] mut_sel_mem [0:0];\n"
            '  initial $readmemh("mutant_sel.hex", mut_sel_mem);\n'
            "  wire [15:0] mut_sel = mut_sel_mem[0];\n",
        )
    )
    out = text
    for s, e, t in sorted(edits, key=lambda x: (x[0], x[1]), reverse=True):
        out = out[:s] + t + out[e:]
    return LINT_PREFIX + out, left_out
