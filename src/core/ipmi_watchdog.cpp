// IPMI BMC watchdog commands (IPMI v2.0 sections 20.1, 27.5-27.7, 31.6). Behaviour
// checked against QEMU's hw/ipmi/ipmi_bmc_sim.c and Linux's
// drivers/char/ipmi/ipmi_watchdog.c (read, not copied).
#include "wdboot/ipmi_watchdog.hpp"

namespace wdboot::ipmi {
namespace {

// One command: the transaction, then the completion code. 0xC1 (invalid command)
// means this BMC lacks the command, every other non-zero code that it refused.
Status call(Kcs& kcs, uint8_t netfn, uint8_t cmd, const uint8_t* data, size_t length, Response& rsp) {
    Status st = kcs.transact(Request{netfn, cmd, data, length}, rsp);
    if (st != Status::ok) return st;
    if (rsp.completion_code == kCcInvalidCommand) return Status::unsupported;
    if (rsp.completion_code != kCcOk) return Status::device_error;
    return Status::ok;
}

Status set_timer(Kcs& kcs, uint8_t use, uint8_t actions, uint8_t pretimeout, uint8_t clear_flags,
                 uint16_t countdown) {
    const uint8_t data[6] = {use,
                             actions,
                             pretimeout,
                             clear_flags,
                             static_cast<uint8_t>(countdown & 0xFF),
                             static_cast<uint8_t>(countdown >> 8)};
    Response rsp;
    return call(kcs, kNetfnApp, kCmdSetWatchdog, data, sizeof(data), rsp);
}

// A timer use Set accepts: FRB2 .. OEM. Use 0 and 6, 7 are reserved (QEMU refuses
// them with 0xCC), so an unset timer is written back as OS Load.
uint8_t valid_use(uint8_t use) {
    uint8_t u = use & kUseMask;
    uint8_t keep = use & kUseDontLog;
    return static_cast<uint8_t>(keep | ((u >= kUseBiosFrb2 && u <= kUseOem) ? u : kUseOsLoad));
}

}  // namespace

uint32_t countdown_for(uint32_t timeout_ms) {
    return static_cast<uint32_t>((static_cast<uint64_t>(timeout_ms) + kResolutionMs - 1) / kResolutionMs);
}

Status probe(Kcs& kcs, DeviceId& id) {
    Response rsp;
    Status st = call(kcs, kNetfnApp, kCmdGetDeviceId, nullptr, 0, rsp);
    // Any answer other than "ok" means no usable BMC: even 0xC1 to Get Device ID,
    // which every BMC must implement.
    if (st == Status::unsupported) return Status::device_error;
    if (st != Status::ok) return st;
    if (rsp.length < 11) return Status::bad_size;
    const uint8_t* d = rsp.data;
    id.device_id = d[0];
    id.device_revision = d[1] & 0x0F;
    id.firmware_major = d[2] & 0x7F;
    id.firmware_minor = d[3];
    id.ipmi_version = d[4];
    id.manufacturer_id = static_cast<uint32_t>(d[6] | (d[7] << 8) | ((d[8] & 0x0F) << 16));
    id.product_id = static_cast<uint16_t>(d[9] | (d[10] << 8));
    return Status::ok;
}

Status parse_timer_state(const uint8_t* d, size_t length, TimerState& state) {
    if (length < 8) return Status::bad_size;
    state.use = d[0];
    state.actions = d[1];
    state.pretimeout_s = d[2];
    state.expired = d[3];
    state.initial = static_cast<uint16_t>(d[4] | (d[5] << 8));
    state.present = static_cast<uint16_t>(d[6] | (d[7] << 8));
    return Status::ok;
}

Status get_timer(Kcs& kcs, TimerState& state) {
    Response rsp;
    Status st = call(kcs, kNetfnApp, kCmdGetWatchdog, nullptr, 0, rsp);
    if (st != Status::ok) return st;
    return parse_timer_state(rsp.data, rsp.length, state);
}

Status arm(Kcs& kcs, uint32_t timeout_ms) {
    if (timeout_ms < kMinTimeoutMs || timeout_ms > kMaxTimeoutMs) return Status::invalid_argument;
    uint16_t countdown = static_cast<uint16_t>(countdown_for(timeout_ms));
    // Don't-stop: a timer still running from before a warm reset goes on counting with
    // our parameters instead of stopping between Set and Reset (and QEMU's Get echoes
    // this bit where the spec reports "running", see TimerState::running). Logging on,
    // so the BMC records the expiry in its SEL.
    Status st = set_timer(kcs, kUseDontStop | kUseOsLoad, kActionHardReset, 0, kExpiredOsLoad, countdown);
    if (st != Status::ok) return st;
    Response rsp;
    st = call(kcs, kNetfnApp, kCmdResetWatchdog, nullptr, 0, rsp);
    if (st != Status::ok) return st;
    TimerState t{};
    st = get_timer(kcs, t);
    if (st != Status::ok) return st;
    if ((t.use & kUseMask) != kUseOsLoad || (t.actions & kActionMask) != kActionHardReset ||
        (t.actions & kPretimeoutMask) != 0 || t.initial != countdown || !t.running()) {
        return Status::device_error;
    }
    return Status::ok;
}

Status ping(Kcs& kcs) {
    Response rsp;
    return call(kcs, kNetfnApp, kCmdResetWatchdog, nullptr, 0, rsp);
}

Status disarm(Kcs& kcs) {
    TimerState t{};
    Status st = get_timer(kcs, t);
    if (st != Status::ok) return st;
    // Action none as well as stopped: the way Linux's ipmi_watchdog stops it, and a
    // stray Reset Watchdog Timer later cannot reset the machine (QEMU even stops the
    // timer on a Reset with action none). The expiration flags are left alone.
    st = set_timer(kcs, valid_use(t.use), kActionNone, 0, 0, t.initial);
    if (st != Status::ok) return st;
    st = get_timer(kcs, t);
    if (st != Status::ok) return st;
    return t.running() ? Status::device_error : Status::ok;
}

ResetCause read_reset_cause(Kcs& kcs) {
    TimerState t{};
    if (get_timer(kcs, t) != Status::ok) return ResetCause::unknown;
    return (t.expired & kExpiredOurs) != 0 ? ResetCause::watchdog : ResetCause::power_on;
}

Status clear_reset_cause(Kcs& kcs) {
    TimerState t{};
    Status st = get_timer(kcs, t);
    if (st != Status::ok) return st;
    if ((t.expired & kExpiredOurs) == 0) return Status::ok;
    // Set Watchdog Timer stops the timer unless don't-stop is set: set it exactly when
    // the timer runs, so this step neither stops nor starts anything.
    bool was_running = t.running();
    uint8_t use = static_cast<uint8_t>(valid_use(t.use) | (was_running ? kUseDontStop : 0));
    uint8_t actions = t.actions & (kPretimeoutMask | kActionMask);
    st = set_timer(kcs, use, actions, t.pretimeout_s, kExpiredOurs, t.initial);
    if (st != Status::ok) return st;
    TimerState after{};
    st = get_timer(kcs, after);
    if (st != Status::ok) return st;
    if ((after.expired & kExpiredOurs) != 0 || after.running() != was_running) return Status::device_error;
    return Status::ok;
}

void sel_failover_record(uint8_t failed_slot, uint8_t next_slot, uint8_t (&record)[kSelRecordBytes]) {
    for (uint8_t& b : record) b = 0;  // record ID and timestamp: the BMC fills them in
    record[2] = kSelRecordTypeSystem;
    record[7] = kSelGeneratorId;
    record[8] = 0x00;  // channel 0, LUN 0
    record[9] = kSelEvmRev;
    record[10] = kSelSensorTypeSystemEvent;
    record[11] = kSelSensorNumber;
    record[12] = kSelEventTypeSensorSpecific;
    record[13] = kSelEventData1;
    record[14] = failed_slot;
    record[15] = next_slot;
}

Status add_sel_event(Kcs& kcs, uint8_t failed_slot, uint8_t next_slot, uint16_t& record_id) {
    uint8_t record[kSelRecordBytes];
    sel_failover_record(failed_slot, next_slot, record);
    Response rsp;
    Status st = call(kcs, kNetfnStorage, kCmdAddSelEntry, record, sizeof(record), rsp);
    if (st != Status::ok) return st;
    if (rsp.length < 2) return Status::bad_size;
    record_id = static_cast<uint16_t>(rsp.data[0] | (rsp.data[1] << 8));
    return Status::ok;
}

}  // namespace wdboot::ipmi
