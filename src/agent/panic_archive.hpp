// wdboot's archive of kernel panics, keyed by the boot that crashed, and the sweep that
// keeps efi_pstore's records from filling NVRAM.
//
// The loader journals `panic` / `runtime-panic` for a boot that ended in a kernel panic
// (it sees more efi-pstore variables than the record says were there). The sweep, run
// early in the following boot (`wdbootctl pstore`, wdboot-pstore.service) and again by
// `mark-good` before it writes the record:
//   1. reads every dump the kernel left, from pstorefs (/sys/fs/pstore/dmesg-efi-ID)
//      and from systemd-pstore's archive (/var/lib/systemd/pstore/.../dmesg-efi-ID);
//   2. files each dump not seen before under the boot it belongs to: the newest panic
//      dump goes to the newest `panic`/`runtime-panic` journal entry that has none yet,
//      the next one to the next (the loader journals one entry per boot that left new
//      records, so the orders agree); a dump no entry claims is kept as `dump-TIME-COUNT`;
//   3. deletes from pstorefs what it archived (the kernel deletes the variables), and
//      deletes through efivarfs the dump variables whose dump is archived by wdboot or
//      by systemd-pstore;
//   4. if more than kMaxUnreadDumps dumps stay unreadable (efi_pstore not loaded: they
//      are only in efivarfs, compressed), saves the oldest ones' raw variables under
//      raw/ and deletes them, so that a crash loop cannot fill NVRAM;
//   5. counts the efi-pstore records left as the loader does, for
//      BootState::pstore_records.
// Nothing in it is fatal: every failure is a line in SweepReport::problems.
//
// Archive layout (dir = /var/lib/wdboot/pstore): `boot-ID.txt` and `dump-TIME-COUNT.txt`,
// each a few `key: value` lines, a `--` line, then the end of the dump's log (at most
// kArchiveTextBytes); `seen` lists the dumps already handled; `raw/` the saved variables.
// At most kArchiveFiles text files are kept (the oldest dumps go first).
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

#include "atomic_file.hpp"
#include "efivarfs.hpp"
#include "pstore_dump.hpp"
#include "wdboot/boot_record.hpp"

namespace wdboot::agent {

inline constexpr size_t kArchiveFiles = 16;
inline constexpr size_t kArchiveTextBytes = 6144;
inline constexpr size_t kMaxUnreadDumps = 4;
inline constexpr size_t kSeenEntries = 256;
inline constexpr size_t kRawFiles = 64;

struct PstorePaths {
    std::string pstorefs = "/sys/fs/pstore";
    std::string systemd_archive = "/var/lib/systemd/pstore";
    std::string archive = "/var/lib/wdboot/pstore";
};

struct SweepReport {
    std::vector<std::string> archived;  // archive files written
    unsigned pstorefs_removed = 0;      // pstorefs files deleted (the kernel deletes their variables)
    unsigned variables_removed = 0;     // dump variables deleted through efivarfs
    unsigned variables_saved_raw = 0;   // of those, unread ones saved under raw/ first
    bool counted = false;               // variables_left is valid
    unsigned variables_left = 0;        // efi-pstore records still in NVRAM (dump-type*)
    std::vector<std::string> problems;  // what failed; nothing here stops a blessing
};

// The sweep described above. `st` is the record whose journal names the crashed boots.
// Changes pstorefs, efivarfs and the archive directory (created when missing).
SweepReport sweep_pstore(const PstorePaths& paths, Efivarfs& vars, const BootState& st, FileSync& sync);

// Counts the efi-pstore records in the efivarfs directory as the loader counts them
// (`dump-type*-<pstore guid>`, is_pstore_record_name(); empty files are not variables).
// False with `error` when the directory cannot be read.
bool count_pstore_variables(const std::string& efivarfs_dir, unsigned& count, std::string& error);

// An archived panic as `log` shows it.
struct ArchivedPanic {
    std::string path;
    uint32_t boot_id = 0;
    DumpKey dump;
    std::string reason;  // "Panic", "Oops", ...
    std::string source;  // where the sweep read it
    std::string text;    // the end of the log
};

// Reads the archive file of `boot_id`. False with an empty `error` when there is none;
// false with `error` set when it exists but cannot be read or is not an archive file.
bool read_archived_panic(const std::string& archive_dir, uint32_t boot_id, ArchivedPanic& out, std::string& error);

// Whether a journal event is one whose boot the archive keys a panic by.
bool is_panic_event(Event e);

}  // namespace wdboot::agent
