"""Groups twiggy's per-item sizes (`twiggy top -f csv`) by crate and prints Markdown.

Usage: wasm_profile.py TOP_CSV [N]   (N: how many of the largest functions to list)

An item's crate is the first path segment of its demangled name, with two exceptions that
would otherwise hide where the bytes come from: `drop_in_place<T>` (compiler glue) counts
for T's crate, and `<T as Trait>::f` for T's (for the trait's when T is generic or
primitive). Data segments (string literals, tables, vtables) are counted together; other
items without a Rust path (the function table, unnamed code) keep their own kind as their
name.

The names themselves (the `name` custom section and its subsections) are left out of every
figure: the profile build keeps them so that there is something to read, but the shipped
`.wasm` drops them.
"""

import csv
import re
import sys
from collections import defaultdict

def is_name_section(name: str) -> bool:
    """Whether a twiggy item is the debug names this profile keeps and the bundle drops."""
    return "subsection" in name or name.startswith(("custom section", '"name"'))


def crate_of(name: str) -> str:
    # The standard library's precompiled crates carry a disambiguator: `core[2c5a…]::fmt`.
    name = re.sub(r"\[[0-9a-f]{8,}\]", "", name.strip())
    if name.startswith("data segment"):
        return "(static data)"
    glue = re.match(r"^core::ptr::drop_in_place<(.*)>$", name)
    if glue:
        return crate_of(glue.group(1))
    name = name.lstrip("<&*( ")
    for prefix in ("mut ", "const ", "dyn ", "[", "impl "):
        if name.startswith(prefix):
            return crate_of(name[len(prefix):])
    if re.match(r"^(data|code|elem|type|import|export|table|global|func)\[", name):
        return name.split("[", 1)[0] + "[…]"
    if "::" not in name:
        return "(other)"
    head = name.split("::", 1)[0]
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", head):
        return head
    # `<T as Trait>` with a generic or primitive T: the trait's crate.
    if " as " in name:
        return crate_of(name.split(" as ", 1)[1])
    return "(other)"


def main() -> None:
    path = sys.argv[1]
    largest = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    items = []
    with open(path, newline="") as file:
        for row in csv.DictReader(file):
            if not is_name_section(row["Name"]):
                items.append((row["Name"], int(row["ShallowSize"])))
    total = sum(size for _, size in items)
    by_crate: dict[str, int] = defaultdict(int)
    for name, size in items:
        by_crate[crate_of(name)] += size

    print(f"{total:,} bytes in {len(items):,} items\n")
    print("| crate | bytes | share |\n|---|--:|--:|")
    for crate, size in sorted(by_crate.items(), key=lambda kv: -kv[1]):
        if size * 200 < total:  # under half a per cent: summed below
            continue
        print(f"| `{crate}` | {size:,} | {100 * size / total:.1f} % |")
    rest = sum(s for s in by_crate.values() if s * 200 < total)
    print(f"| (crates under 0.5 % each) | {rest:,} | {100 * rest / total:.1f} % |")

    print(f"\n| the {largest} largest items | bytes |\n|---|--:|")
    for name, size in sorted(items, key=lambda item: -item[1])[:largest]:
        shown = name if len(name) <= 110 else name[:107] + "…"
        print(f"| `{shown}` | {size:,} |")


if __name__ == "__main__":
    main()
