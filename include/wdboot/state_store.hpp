// The two-copy rule for the state record. The record lives in two variables,
// WdbootStateA and WdbootStateB; the valid copy with the highest generation wins and
// every write goes to the other copy, so a power cut during a write leaves the
// previous state intact. A copy from a newer major version makes the store read-only.
//
// The loader implements VariableStore over GetVariable/SetVariable, the agent over
// efivarfs, the tests over memory with injected failures.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/boot_record.hpp"
#include "wdboot/status.hpp"

namespace wdboot {

// Vendor GUID 50eee850-2e5c-44e5-ac3d-627587d76014 of every wdboot variable.
inline constexpr char kVendorGuidText[] = "50eee850-2e5c-44e5-ac3d-627587d76014";
inline constexpr const char* kCopyNames[2] = {"WdbootStateA", "WdbootStateB"};

// Linux's efi-pstore backend (drivers/firmware/efi/efi-pstore.c) keeps a kernel log it
// saves at a panic or an oops in NV variables of this vendor GUID (LINUX_EFI_CRASH_GUID)
// named dump-type<type>-<part>-<count>-<seconds>[-C]; efivarfs shows them as
// NAME-cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0. Counted by the loader and the agent to
// tell a panic from other resets (note_reset_cause()).
inline constexpr char kPstoreVendorGuidText[] = "cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0";
inline constexpr char kPstoreNamePrefix[] = "dump-type";
// True if the variable name (ASCII, NUL-terminated) is an efi-pstore record's.
bool is_pstore_record_name(const char* name);

enum class Copy : uint8_t { a = 0, b = 1 };

class VariableStore {
public:
    // Reads a copy into buf. Status::not_found when the variable does not exist,
    // Status::bad_size when it is larger than cap (len then holds its size if known).
    virtual Status read(Copy copy, uint8_t* buf, size_t cap, size_t& len) = 0;
    // Writes a whole copy (NV|BS|RT).
    virtual Status write(Copy copy, const uint8_t* data, size_t len) = 0;

protected:
    ~VariableStore() = default;
};

// What the copies held, as found at load time.
struct CopyStatus {
    bool present;
    Status status;  // ok, or why the copy was rejected
    uint32_t generation;  // valid copies only
};

struct LoadedState {
    BootState state;        // the winner, or a fresh empty state
    CopyStatus copies[2];
    bool from_copy;         // state came from a valid copy
    Copy source;            // which copy won (from_copy only)
    bool read_only;         // a newer major version is present: never write
    bool created;           // neither copy existed
    bool corrupt;           // some copy was present but invalid
    uint8_t corrupt_mask;   // bit0: A rejected, bit1: B rejected

    // The copy the next write goes to: never the one the current state came from.
    Copy write_target() const;
};

// Reads both copies and picks the winner. Never fails: with no valid copy the state
// is BootState::empty() and `created` or `corrupt` says why.
LoadedState load_state(VariableStore& store);

// Writes `next` if it differs from what was loaded: generation = loaded + 1, to the
// other copy. On success `loaded` describes the new state (so a second save in the
// same boot alternates again). Returns read_only without writing if a newer record
// exists; `wrote` tells whether anything was written.
Status save_state(VariableStore& store, LoadedState& loaded, const BootState& next, bool* wrote);

}  // namespace wdboot
