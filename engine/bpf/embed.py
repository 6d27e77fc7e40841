#!/usr/bin/env python3
"""Turns the compiled XDP program (an ELF object for the BPF target) into a C
source file holding it as a byte array, so tundra carries the program it was
built with and loads it with bpf_object__open_mem(): no file to install, no
path to get wrong, no program from another build.

    embed.py IN.bpf.o OUT.c SYMBOL
"""
import sys


def main():
    src, dst, sym = sys.argv[1:4]
    with open(src, "rb") as f:
        data = f.read()
    rows = [", ".join(f"0x{b:02x}" for b in data[i:i + 16]) for i in range(0, len(data), 16)]
    with open(dst, "w") as f:
        f.write(f"/* Made by engine/bpf/embed.py from {src.rsplit('/', 1)[-1]}: do not edit. */\n")
        f.write("#include <stddef.h>\n\n")
        f.write(f"extern const unsigned char {sym}[];\nextern const size_t {sym}_size;\n\n")
        # libelf reads the ELF headers in place: keep them aligned for it.
        f.write(f"__attribute__((aligned(8))) const unsigned char {sym}[] = {{\n")
        f.write(",\n".join("\t" + r for r in rows))
        f.write("\n};\n")
        f.write(f"const size_t {sym}_size = sizeof({sym});\n")


if __name__ == "__main__":
    main()
