// ACPI WDAT (Watchdog Action Table, Microsoft "Hardware Watchdog Timers Design
// Specification"): parsing, validation and the instruction interpreter, behaving as
// Linux's drivers/watchdog/wdat_wdt.c runs a table (read, not copied). The firmware
// describes its watchdog as lists of register instructions per action; the core runs
// them through two RegisterIo windows given by the caller:
//   io  - x86 I/O ports, offset = port number (SystemIO registers);
//   mem - physical memory, offset = physical address (SystemMemory registers, below 4 GiB).
// The loader (efi/efi_watchdog.cpp) finds the table (acpi.hpp), parses it once at probe,
// reads and clears the reset cause, arms before starting a kernel.
// Behaviour and refusals: docs/watchdogs.md, ACPI WDAT.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/boot_record.hpp"
#include "wdboot/reg_io.hpp"
#include "wdboot/status.hpp"

namespace wdboot::wdat {

// Watchdog actions (WDAT spec table 3; ACPICA's ACPI_WDAT_* in actbl3.h).
enum class Action : uint8_t {
    reset = 0x01,  // "ping": restart the countdown
    query_current_countdown_period = 0x04,
    query_countdown_period = 0x05,
    set_countdown_period = 0x06,
    query_running_state = 0x08,
    set_running_state = 0x09,
    query_stopped_state = 0x0A,
    set_stopped_state = 0x0B,
    query_reboot = 0x10,
    set_reboot = 0x11,
    query_shutdown = 0x12,
    set_shutdown = 0x13,
    query_watchdog_status = 0x20,
    set_watchdog_status = 0x21,
};

// Instruction kinds (low bits of InstructionFlags) and the preserve flag.
inline constexpr uint8_t kReadValue = 0x00;
inline constexpr uint8_t kReadCountdown = 0x01;
inline constexpr uint8_t kWriteValue = 0x02;
inline constexpr uint8_t kWriteCountdown = 0x03;
inline constexpr uint8_t kPreserveRegister = 0x80;

// Generic Address Structure address spaces handled (others are refused).
inline constexpr uint8_t kSpaceSystemMemory = 0x00;
inline constexpr uint8_t kSpaceSystemIo = 0x01;

// Flags.
inline constexpr uint8_t kFlagEnabled = 0x01;
inline constexpr uint8_t kFlagStoppedInSleep = 0x80;

// Layout.
inline constexpr size_t kWatchdogHeaderLength = 32;  // WatchdogHeaderLength field
inline constexpr size_t kEntriesOffset = 36 + kWatchdogHeaderLength;
inline constexpr size_t kEntryBytes = 24;
// Fixed capacity (no heap in the core). Real tables have about 10..20 entries.
inline constexpr size_t kMaxInstructions = 64;

struct Register {
    uint8_t space = 0;         // kSpaceSystemMemory or kSpaceSystemIo
    uint8_t bit_width = 0;     // as declared; not used by the interpreter (as Linux)
    uint8_t bit_offset = 0;    // < access bits
    uint8_t access_bytes = 0;  // 1, 2 or 4 (from the encoded access width 1..3)
    uint32_t address = 0;      // port or physical address, checked to fit with its width
};

struct Instruction {
    Action action{};
    uint8_t instruction = 0;  // kind | kPreserveRegister
    Register reg;
    uint32_t value = 0;
    uint32_t mask = 0;
};

struct Wdat {
    uint16_t pci_segment = 0;
    uint8_t pci_bus = 0;
    uint8_t pci_device = 0;
    uint8_t pci_function = 0;
    uint32_t timer_period_ms = 0;  // time per count
    uint32_t max_count = 0;
    uint32_t min_count = 0;
    uint8_t flags = 0;
    uint32_t count = 0;  // instructions[0..count): entries of known actions, table order
    Instruction instructions[kMaxInstructions];
    // Set by arm(): the count programmed, passed again by ping() to RESET.
    uint32_t armed_count = 0;
    // After parse() or an action function fails: what was wrong, for the console line
    // (e.g. "address space not SystemMemory or SystemIO" with problem_entry 3).
    // Static text, never null.
    const char* problem = "";
    int problem_entry = -1;  // index of the offending table entry, -1 if none
};

// Parses and validates a whole WDAT (signature, length, checksum included) from
// `len` readable bytes. Results: ok; bad_magic (signature); bad_size (shorter than
// its header or its Length, Length shorter than its entries, header length not 32);
// bad_crc (checksum); bad_field (timer period 0, min count > max count, max count 0,
// instruction kind not 0..3, access width 0 or > 4, bit offset beyond the access
// width, I/O port range beyond 0xFFFF); unsupported (address space other than
// SystemMemory/SystemIO, QWORD access, memory above 4 GiB); no_space (more than
// kMaxInstructions entries). Entries with an action number the spec does not define
// are skipped (only their address space is checked), as Linux does. Writes only `out`.
Status parse(const uint8_t* table, size_t len, Wdat& out);

inline bool is_enabled(const Wdat& w) { return (w.flags & kFlagEnabled) != 0; }
bool has_action(const Wdat& w, Action a);

// The timeout range arm() accepts, in ms: period x min_count .. period x max_count,
// saturating at UINT32_MAX; min is at least one period. For the driver table.
uint32_t min_timeout_ms(const Wdat& w);
uint32_t max_timeout_ms(const Wdat& w);
// Resolution: one count = timer_period_ms; the reset comes within one period after
// the requested time. Pure.
uint32_t count_for(const Wdat& w, uint32_t timeout_ms);

// Runs every instruction of action `a` in table order (wdat_wdt_run_action):
// READ_VALUE sets *result to ((reg >> bit_offset) & mask) == value, READ_COUNTDOWN to
// (reg >> bit_offset) & mask (the last read wins); WRITE_VALUE / WRITE_COUNTDOWN write
// (value or `countdown`) & mask << bit_offset, read-modify-write keeping the other bits
// with PRESERVE_REGISTER. `result` may be null. not_found if the action has no entry.
Status run_action(const Wdat& w, RegisterIo& io, RegisterIo& mem, Action a, uint32_t countdown, uint32_t* result);

// ok if the table has the actions arm() needs: RESET, SET_COUNTDOWN_PERIOD and
// SET_RUNNING_STATE; else unsupported, w.problem naming the first missing one. For a
// probe that wants to know before arming; touches no register.
Status check_arm_actions(Wdat& w);

// Arms: a timeout outside [min_timeout_ms, max_timeout_ms] is refused with
// invalid_argument (never clamped); count = ceil(timeout_ms / period), which must lie
// in [min_count, max_count]; then SET_COUNTDOWN_PERIOD(count), checked
// with QUERY_COUNTDOWN_PERIOD if present; SET_REBOOT if present (reset, not NMI or
// shutdown, on expiry; Linux does the same), checked with QUERY_REBOOT if present;
// RESET; SET_RUNNING_STATE; QUERY_RUNNING_STATE if present must say running.
// unsupported (problem names the action) if RESET, SET_COUNTDOWN_PERIOD or
// SET_RUNNING_STATE is missing, with nothing written; device_error if a check fails.
Status arm(Wdat& w, RegisterIo& io, RegisterIo& mem, uint32_t timeout_ms);

// RESET with the armed count. unsupported if the table has no RESET.
Status ping(Wdat& w, RegisterIo& io, RegisterIo& mem);

// SET_STOPPED_STATE, then QUERY_STOPPED_STATE if present must say stopped
// (device_error otherwise). unsupported if the table has no SET_STOPPED_STATE.
Status disarm(Wdat& w, RegisterIo& io, RegisterIo& mem);

// QUERY_RUNNING_STATE; false if the table cannot tell.
bool is_running(const Wdat& w, RegisterIo& io, RegisterIo& mem);

// QUERY_WATCHDOG_STATUS true: watchdog; false: power_on; no such action: unknown.
// Read it before clear_reset_cause().
ResetCause read_reset_cause(const Wdat& w, RegisterIo& io, RegisterIo& mem);

// SET_WATCHDOG_STATUS, then QUERY_WATCHDOG_STATUS (if present) must read false
// (device_error otherwise). ok with nothing done if the table has neither action;
// unsupported if it can report the status but not clear it.
Status clear_reset_cause(Wdat& w, RegisterIo& io, RegisterIo& mem);

const char* to_string(Action a);

}  // namespace wdboot::wdat
