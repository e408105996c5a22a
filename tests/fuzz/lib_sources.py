#!/usr/bin/env python3
"""Print the C sources of one static_library() of a meson.build, one per line,
as paths relative to the current directory.

The fuzz build recompiles the code under test with -fsanitize=fuzzer-no-link
(coverage for libFuzzer), so it needs the same source lists the libraries
use; reading them from the owners' meson.build keeps one list, not two.
Usage: lib_sources.py DIR LIBNAME  (e.g. ../../stack tern_stack)
"""
import os
import re
import sys


def main():
    d, lib = sys.argv[1], sys.argv[2]
    text = open(os.path.join(d, 'meson.build'), encoding='utf-8').read()
    # Drop comments so a commented-out file does not count.
    text = re.sub(r'#[^\n]*', '', text)
    m = re.search(r"static_library\(\s*'" + re.escape(lib) + r"'", text)
    if m is None:
        sys.exit('lib_sources.py: no static_library %r in %s' % (lib, d))
    depth, i = 1, m.end()
    while depth and i < len(text):
        depth += {'(': 1, ')': -1}.get(text[i], 0)
        i += 1
    for name in re.findall(r"'([^']+\.c)'", text[m.end():i]):
        print(os.path.join(d, name))


if __name__ == '__main__':
    main()
