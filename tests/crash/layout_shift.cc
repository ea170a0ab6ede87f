// Linked first into `phantom_shifted` (tests/CMakeLists.txt): padding at the start of the code, read-only
// data, data and zeroed data sections, so that every function, vtable, string and global of the objects
// linked after it sits at another offset in the binary than in `phantom`. A host pointer that leaked into
// a world made by one binary then points at something else in the other, even with ASLR switched off
// (rebuilt_binary_test.sh). The sizes are odd multiples of a page plus a bit, so nothing keeps its
// alignment within a page either.
asm(".pushsection .text.unlikely\n"  // the linker places cold code and then start-up code first
    ".skip 65552, 0xcc\n"
    ".popsection\n"
    ".pushsection .text.startup\n"
    ".skip 4112, 0xcc\n"
    ".popsection\n"
    ".pushsection .text\n"
    ".skip 1052688, 0xcc\n"  // 257 pages + 16 bytes of int3
    ".popsection\n"
    ".pushsection .rodata\n"
    ".skip 69648\n"
    ".popsection\n"
    ".pushsection .data\n"
    ".skip 69664\n"
    ".popsection\n"
    ".pushsection .bss\n"
    ".skip 1052704\n"
    ".popsection\n");
