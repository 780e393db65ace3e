// ACPI WDAT parser and interpreter. Semantics follow Linux's wdat_wdt.c (read, not
// copied) and the WDAT specification; the validation is stricter than Linux's where a
// table we cannot run completely would leave a watchdog half-programmed.
#include "wdboot/wdat.hpp"

#include "wdboot/little_endian.hpp"

#include "wdboot/acpi.hpp"

namespace wdboot::wdat {
namespace {

bool known_action(uint8_t a) {
    switch (a) {
        case 0x01: case 0x04: case 0x05: case 0x06: case 0x08: case 0x09: case 0x0A: case 0x0B:
        case 0x10: case 0x11: case 0x12: case 0x13: case 0x20: case 0x21:
            return true;
        default:
            return false;
    }
}

Status refuse(Wdat& out, Status s, const char* problem, int entry = -1) {
    out.problem = problem;
    out.problem_entry = entry;
    return s;
}

Status parse_entry(const uint8_t* e, int index, Wdat& out, Instruction& in) {
    in.action = static_cast<Action>(e[0]);
    in.instruction = e[1];
    const uint8_t kind = static_cast<uint8_t>(in.instruction & ~kPreserveRegister);
    if (kind > kWriteCountdown) return refuse(out, Status::bad_field, "instruction kind not 0..3", index);
    const uint8_t* gas = e + 4;
    in.reg.space = gas[0];
    in.reg.bit_width = gas[1];
    in.reg.bit_offset = gas[2];
    const uint8_t access_width = gas[3];
    const uint64_t address = le64(gas + 4);
    in.value = le32(e + 16);
    in.mask = le32(e + 20);

    if (in.reg.space != kSpaceSystemMemory && in.reg.space != kSpaceSystemIo) {
        return refuse(out, Status::unsupported, "address space not SystemMemory or SystemIO", index);
    }
    // Encoded access width 1..4 = byte, word, dword, qword. RegisterIo (and Linux's
    // interpreter) stop at 32 bits: a qword register cannot be run.
    if (access_width == 0 || access_width > 4) return refuse(out, Status::bad_field, "access width not 1..4", index);
    if (access_width == 4) return refuse(out, Status::unsupported, "QWORD access", index);
    in.reg.access_bytes = static_cast<uint8_t>(1u << (access_width - 1));
    if (in.reg.bit_offset >= 8u * in.reg.access_bytes) {
        return refuse(out, Status::bad_field, "bit offset beyond the access width", index);
    }
    const uint64_t last = address + in.reg.access_bytes - 1;
    if (in.reg.space == kSpaceSystemIo) {
        if (address > 0xFFFF || last > 0xFFFF) return refuse(out, Status::bad_field, "I/O port beyond 0xFFFF", index);
    } else if (address > 0xFFFFFFFFu || last > 0xFFFFFFFFu) {
        // RegisterIo offsets are 32 bits; a register above 4 GiB cannot be reached.
        return refuse(out, Status::unsupported, "memory register above 4 GiB", index);
    }
    in.reg.address = static_cast<uint32_t>(address);
    return Status::ok;
}

uint32_t read_reg(const Register& r, RegisterIo& io, RegisterIo& mem) {
    RegisterIo& w = r.space == kSpaceSystemIo ? io : mem;
    switch (r.access_bytes) {
        case 1: return w.read8(r.address);
        case 2: return w.read16(r.address);
        default: return w.read32(r.address);
    }
}

void write_reg(const Register& r, RegisterIo& io, RegisterIo& mem, uint32_t v) {
    RegisterIo& w = r.space == kSpaceSystemIo ? io : mem;
    switch (r.access_bytes) {
        case 1: w.write8(r.address, static_cast<uint8_t>(v)); break;
        case 2: w.write16(r.address, static_cast<uint16_t>(v)); break;
        default: w.write32(r.address, v); break;
    }
}

// Runs an action and reads its boolean answer (a READ_VALUE). false if the action
// ran no read.
bool query(const Wdat& w, RegisterIo& io, RegisterIo& mem, Action a) {
    uint32_t r = 0;
    return run_action(w, io, mem, a, 0, &r) == Status::ok && r != 0;
}

Status fail(Wdat& w, Status s, const char* problem) {
    w.problem = problem;
    w.problem_entry = -1;
    return s;
}

}  // namespace

Status parse(const uint8_t* table, size_t len, Wdat& out) {
    out = Wdat{};
    if (table == nullptr || len < kAcpiHeaderBytes) return refuse(out, Status::bad_size, "shorter than an ACPI header");
    if (!(table[0] == 'W' && table[1] == 'D' && table[2] == 'A' && table[3] == 'T')) {
        return refuse(out, Status::bad_magic, "signature is not WDAT");
    }
    const uint32_t length = le32(table + 4);
    if (length > len) return refuse(out, Status::bad_size, "Length beyond the bytes given");
    if (length < kEntriesOffset) return refuse(out, Status::bad_size, "Length shorter than the watchdog header");
    if (acpi_checksum(table, length) != 0) return refuse(out, Status::bad_crc, "checksum");
    // Linux places the entries right after the 32-byte header whatever this field
    // says; a table that disagrees is ambiguous, so it is refused.
    if (le32(table + 36) != kWatchdogHeaderLength) return refuse(out, Status::bad_size, "watchdog header length is not 32");

    out.pci_segment = le16(table + 40);
    out.pci_bus = table[42];
    out.pci_device = table[43];
    out.pci_function = table[44];
    out.timer_period_ms = le32(table + 48);
    out.max_count = le32(table + 52);
    out.min_count = le32(table + 56);
    out.flags = table[60];
    const uint32_t entries = le32(table + 64);

    if (out.timer_period_ms == 0) return refuse(out, Status::bad_field, "timer period 0");
    if (out.max_count == 0) return refuse(out, Status::bad_field, "max count 0");
    if (out.min_count > out.max_count) return refuse(out, Status::bad_field, "min count above max count");
    if (entries > (length - kEntriesOffset) / kEntryBytes) {
        return refuse(out, Status::bad_size, "entries beyond the table Length");
    }
    if (entries > kMaxInstructions) return refuse(out, Status::no_space, "more than 64 instruction entries");

    for (uint32_t i = 0; i < entries; ++i) {
        const uint8_t* e = table + kEntriesOffset + i * kEntryBytes;
        // Entries of action numbers the spec does not define are never run (Linux's
        // wdat_wdt skips them too); only their address space is checked, because
        // Linux's acpi_watchdog_init refuses the whole table over it as well.
        if (!known_action(e[0])) {
            const uint8_t space = e[4];
            if (space != kSpaceSystemMemory && space != kSpaceSystemIo) {
                return refuse(out, Status::unsupported, "address space not SystemMemory or SystemIO",
                              static_cast<int>(i));
            }
            continue;
        }
        // Parsed in place; it counts only once it is whole.
        Status s = parse_entry(e, static_cast<int>(i), out, out.instructions[out.count]);
        if (s != Status::ok) {
            out.count = 0;
            return s;
        }
        ++out.count;
    }
    return Status::ok;
}

bool has_action(const Wdat& w, Action a) {
    for (uint32_t i = 0; i < w.count; ++i) {
        if (w.instructions[i].action == a) return true;
    }
    return false;
}

uint32_t min_timeout_ms(const Wdat& w) {
    uint64_t ms = static_cast<uint64_t>(w.timer_period_ms) * (w.min_count == 0 ? 1 : w.min_count);
    return ms > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<uint32_t>(ms);
}

uint32_t max_timeout_ms(const Wdat& w) {
    uint64_t ms = static_cast<uint64_t>(w.timer_period_ms) * w.max_count;
    return ms > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<uint32_t>(ms);
}

uint32_t count_for(const Wdat& w, uint32_t timeout_ms) {
    if (w.timer_period_ms == 0) return 0;
    return static_cast<uint32_t>((static_cast<uint64_t>(timeout_ms) + w.timer_period_ms - 1) / w.timer_period_ms);
}

Status run_action(const Wdat& w, RegisterIo& io, RegisterIo& mem, Action a, uint32_t countdown, uint32_t* result) {
    bool found = false;
    for (uint32_t i = 0; i < w.count; ++i) {
        const Instruction& in = w.instructions[i];
        if (in.action != a) continue;
        found = true;
        const Register& r = in.reg;
        const uint32_t field = in.mask << r.bit_offset;
        switch (in.instruction & ~kPreserveRegister) {
            case kReadValue: {
                uint32_t x = (read_reg(r, io, mem) >> r.bit_offset) & in.mask;
                if (result != nullptr) *result = x == in.value ? 1 : 0;
                break;
            }
            case kReadCountdown: {
                uint32_t x = (read_reg(r, io, mem) >> r.bit_offset) & in.mask;
                if (result != nullptr) *result = x;
                break;
            }
            case kWriteValue:
            case kWriteCountdown: {
                uint32_t src = (in.instruction & ~kPreserveRegister) == kWriteValue ? in.value : countdown;
                uint32_t x = (src & in.mask) << r.bit_offset;
                if ((in.instruction & kPreserveRegister) != 0) x |= read_reg(r, io, mem) & ~field;
                write_reg(r, io, mem, x);
                break;
            }
            default:
                // parse() admits only kinds 0..3.
                return Status::invalid_argument;
        }
    }
    return found ? Status::ok : Status::not_found;
}

Status check_arm_actions(Wdat& w) {
    if (!has_action(w, Action::reset)) return fail(w, Status::unsupported, "table has no RESET action");
    if (!has_action(w, Action::set_countdown_period)) {
        return fail(w, Status::unsupported, "table has no SET_COUNTDOWN_PERIOD action");
    }
    if (!has_action(w, Action::set_running_state)) {
        return fail(w, Status::unsupported, "table has no SET_RUNNING_STATE action");
    }
    return Status::ok;
}

Status arm(Wdat& w, RegisterIo& io, RegisterIo& mem, uint32_t timeout_ms) {
    if (Status s = check_arm_actions(w); s != Status::ok) return s;
    // The range in ms is what the config checks see (min_timeout_ms ..
    // max_timeout_ms), as for itco: a timeout just below period x min_count would
    // round up to min_count but is refused all the same. The count check covers the
    // saturated ends.
    const uint64_t count = count_for(w, timeout_ms);
    if (timeout_ms < min_timeout_ms(w) || timeout_ms > max_timeout_ms(w) || count < w.min_count ||
        count > w.max_count) {
        return fail(w, Status::invalid_argument, "timeout outside the table's range");
    }
    const uint32_t c = static_cast<uint32_t>(count);

    (void)run_action(w, io, mem, Action::set_countdown_period, c, nullptr);
    if (has_action(w, Action::query_countdown_period)) {
        uint32_t back = 0;
        (void)run_action(w, io, mem, Action::query_countdown_period, 0, &back);
        if (back != c) return fail(w, Status::device_error, "countdown period did not read back");
    }
    // Reboot on expiry rather than whatever the firmware left (NMI, shutdown, or a
    // "no reboot" strap): the point of wdboot's watchdog is the reset.
    if (has_action(w, Action::set_reboot)) {
        (void)run_action(w, io, mem, Action::set_reboot, c, nullptr);
        if (has_action(w, Action::query_reboot) && !query(w, io, mem, Action::query_reboot)) {
            return fail(w, Status::device_error, "reboot mode did not stick");
        }
    }
    // RESET before SET_RUNNING_STATE so a counter that was already running (warm
    // reset) restarts from the new period rather than from a stale remainder.
    (void)run_action(w, io, mem, Action::reset, c, nullptr);
    (void)run_action(w, io, mem, Action::set_running_state, c, nullptr);
    if (has_action(w, Action::query_running_state) && !query(w, io, mem, Action::query_running_state)) {
        return fail(w, Status::device_error, "watchdog not running after SET_RUNNING_STATE");
    }
    w.armed_count = c;
    w.problem = "";
    return Status::ok;
}

Status ping(Wdat& w, RegisterIo& io, RegisterIo& mem) {
    if (run_action(w, io, mem, Action::reset, w.armed_count, nullptr) != Status::ok) {
        return fail(w, Status::unsupported, "table has no RESET action");
    }
    return Status::ok;
}

Status disarm(Wdat& w, RegisterIo& io, RegisterIo& mem) {
    if (run_action(w, io, mem, Action::set_stopped_state, 0, nullptr) != Status::ok) {
        return fail(w, Status::unsupported, "table has no SET_STOPPED_STATE action");
    }
    if (has_action(w, Action::query_stopped_state) && !query(w, io, mem, Action::query_stopped_state)) {
        return fail(w, Status::device_error, "watchdog not stopped after SET_STOPPED_STATE");
    }
    return Status::ok;
}

bool is_running(const Wdat& w, RegisterIo& io, RegisterIo& mem) { return query(w, io, mem, Action::query_running_state); }

ResetCause read_reset_cause(const Wdat& w, RegisterIo& io, RegisterIo& mem) {
    uint32_t r = 0;
    if (run_action(w, io, mem, Action::query_watchdog_status, 0, &r) != Status::ok) return ResetCause::unknown;
    return r != 0 ? ResetCause::watchdog : ResetCause::power_on;
}

Status clear_reset_cause(Wdat& w, RegisterIo& io, RegisterIo& mem) {
    const bool can_query = has_action(w, Action::query_watchdog_status);
    if (run_action(w, io, mem, Action::set_watchdog_status, 0, nullptr) != Status::ok) {
        if (!can_query) return Status::ok;
        return fail(w, Status::unsupported, "table has QUERY_WATCHDOG_STATUS but no SET_WATCHDOG_STATUS");
    }
    if (can_query && query(w, io, mem, Action::query_watchdog_status)) {
        return fail(w, Status::device_error, "watchdog status still set after SET_WATCHDOG_STATUS");
    }
    return Status::ok;
}

const char* to_string(Action a) {
    switch (a) {
        case Action::reset: return "RESET";
        case Action::query_current_countdown_period: return "QUERY_CURRENT_COUNTDOWN_PERIOD";
        case Action::query_countdown_period: return "QUERY_COUNTDOWN_PERIOD";
        case Action::set_countdown_period: return "SET_COUNTDOWN_PERIOD";
        case Action::query_running_state: return "QUERY_RUNNING_STATE";
        case Action::set_running_state: return "SET_RUNNING_STATE";
        case Action::query_stopped_state: return "QUERY_STOPPED_STATE";
        case Action::set_stopped_state: return "SET_STOPPED_STATE";
        case Action::query_reboot: return "QUERY_REBOOT";
        case Action::set_reboot: return "SET_REBOOT";
        case Action::query_shutdown: return "QUERY_SHUTDOWN";
        case Action::set_shutdown: return "SET_SHUTDOWN";
        case Action::query_watchdog_status: return "QUERY_WATCHDOG_STATUS";
        case Action::set_watchdog_status: return "SET_WATCHDOG_STATUS";
    }
    return "unknown action";
}

}  // namespace wdboot::wdat
