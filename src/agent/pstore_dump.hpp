// Kernel log dumps that Linux's efi_pstore leaves in NVRAM, and their text.
//
// On a panic the kernel's pstore writes the end of its log in parts of about 1 KB, each
// into one NV EFI variable `dump-type0-PART-COUNT-TIME-C-cfc8fc79-...` (C: deflate
// compressed, D: plain). After the reboot, with efi_pstore loaded, pstorefs shows each
// part decompressed as `dmesg-efi-ID`, ID = (TIME * 100 + PART) * 1000 + COUNT, and
// begins it with a header line `Panic#N PartM`. Part 1 is the newest piece of the log
// (it ends with the panic), part 2 the piece before it, and so on.
// systemd-pstore (252) copies these files to /var/lib/systemd/pstore/ID-PREFIX/ and
// deletes them from pstorefs, which deletes their variables.
//
// Pure functions over names and text, used by panic_archive.cpp and the tests.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

#include "wdboot/state_store.hpp"  // kPstoreVendorGuidText, is_pstore_record_name

namespace wdboot::agent {

// One dump: the parts the kernel wrote for one panic (or oops). They share COUNT; each
// part carries the time it was written, so one dump's parts may straddle a second
// (dump_keys() groups them; the key is the time of its part 1).
struct DumpKey {
    uint64_t time = 0;   // seconds since 1970 when the kernel wrote the dump
    unsigned count = 0;  // the kernel's counter within that second
    bool operator==(const DumpKey&) const = default;
    auto operator<=>(const DumpKey&) const = default;
};
std::string to_string(const DumpKey& k);  // "TIME-COUNT", as in the archive

// Parses an efivarfs file name `dump-type0-PART-COUNT-TIME-{C,D}-<pstore guid>`. Only
// type 0 (the kernel log) counts. False for anything else.
bool parse_dump_variable(const std::string& file_name, DumpKey& key, unsigned& part);

// Parses a pstorefs file name `dmesg-efi-ID` (what the kernel shows of the variables
// above once efi_pstore is loaded). False for other names, including `.enc.z` files
// (a part the kernel could not decompress).
bool parse_pstore_file(const std::string& file_name, DumpKey& key, unsigned& part);

// The kernel writes a dump's parts in order (part 1, the newest piece of the log, first)
// within a second or two, stamping each with the time it wrote it (checked with Linux
// 6.1 under OVMF: parts 1-5 at T, 6-14 at T+1). Groups parts into dumps: same COUNT,
// part numbers rising with time, at most kDumpSpanSeconds after the dump's first part.
// Returns, for each (key as parsed, part), the key of its dump: COUNT and the time of
// the dump's first part found.
inline constexpr uint64_t kDumpSpanSeconds = 10;
std::vector<DumpKey> dump_keys(const std::vector<std::pair<DumpKey, unsigned>>& parts);

// One part's text as pstorefs shows it: the header line and the log lines.
struct DumpPart {
    unsigned part = 0;
    std::string text;
};

// The reason word of a part's header (`Panic`, `Oops`, `Emergency`, ...), empty when
// the text does not begin with a `WORD#N PartM` header.
std::string dump_reason(const std::string& part_text);

// The log of one dump: its parts oldest first (highest part number first), each without
// its header line, each line without the syslog level prefix `<N>`, NUL bytes and
// carriage returns removed.
std::string dump_log_text(std::vector<DumpPart> parts);

// The lines of a dump's log worth showing under a journal entry: the oops head (`BUG:`,
// `Oops:`, `general protection fault`, `kernel BUG at`, ...) or a few lines before the
// last `Kernel panic - not syncing` line, that line, and the lines after it, at most
// `max_lines` in all. Without a panic line: the last `max_lines` lines.
std::vector<std::string> panic_excerpt(const std::string& log_text, size_t max_lines = 20);

}  // namespace wdboot::agent
