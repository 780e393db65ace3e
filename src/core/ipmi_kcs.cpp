// The KCS transaction of IPMI v2.0 section 9.15 (write phase, read phase, error exit),
// checked against QEMU's hw/ipmi/ipmi_kcs.c and Linux's
// drivers/char/ipmi/ipmi_kcs_sm.c (read, not copied).
#include "wdboot/ipmi_kcs.hpp"

namespace wdboot::ipmi {
namespace {

// Nothing decodes the ports: every bit set, which a live KCS cannot show (error state
// with both buffers full and the OEM bits set). Linux's KCS detection uses the same test.
constexpr uint8_t kAbsent = 0xFF;
// A response longer than this is a runaway BMC, not a message (IPMI messages on KCS
// are at most a few hundred bytes).
constexpr size_t kRunawayBytes = 512;

uint8_t state_of(uint8_t status) { return status & kStatusStateMask; }

}  // namespace

uint8_t Kcs::status() { return io_.read8(spacing_); }

void Kcs::stall() {
    delay_.stall_us(kPollIntervalUs);
    stalled_us_ += kPollIntervalUs;
}

Kcs::Step Kcs::wait_ibf_clear(uint8_t& s) {
    for (;;) {
        s = status();
        if ((s & kStatusIbf) == 0) return Step::ok;
        if (!budget_left()) return Step::timeout;
        stall();
    }
}

Kcs::Step Kcs::wait_obf_set() {
    for (;;) {
        if ((status() & kStatusObf) != 0) return Step::ok;
        if (!budget_left()) return Step::timeout;
        stall();
    }
}

void Kcs::clear_obf() {
    // The BMC sets OBF after every byte of the write phase (with a dummy byte); reading
    // the data register empties it, so the next OBF really means a new byte.
    if ((status() & kStatusObf) != 0) (void)io_.read8(0);
}

Kcs::Step Kcs::write_phase(const Request& request) {
    uint8_t header[2] = {static_cast<uint8_t>(request.netfn << 2), request.cmd};
    size_t total = 2 + request.length;
    uint8_t s = 0;
    Step r = wait_ibf_clear(s);
    if (r != Step::ok) return r;
    clear_obf();
    io_.write8(spacing_, kCtrlWriteStart);
    for (size_t i = 0; i < total; ++i) {
        uint8_t byte = i < 2 ? header[i] : request.data[i - 2];
        r = wait_ibf_clear(s);
        if (r != Step::ok) return r;
        if (state_of(s) != kStateWrite) return Step::protocol;
        clear_obf();
        if (i + 1 == total) {
            // The last byte is announced by WRITE_END on the command register.
            io_.write8(spacing_, kCtrlWriteEnd);
            r = wait_ibf_clear(s);
            if (r != Step::ok) return r;
            if (state_of(s) != kStateWrite) return Step::protocol;
            clear_obf();
        }
        io_.write8(0, byte);
    }
    return Step::ok;
}

Kcs::Step Kcs::read_phase(const Request& request, Response& response, bool& bad_size) {
    uint8_t header[2] = {0, 0};
    size_t count = 0;
    response.length = 0;
    response.completion_code = 0;
    for (;;) {
        uint8_t s = 0;
        Step r = wait_ibf_clear(s);
        if (r != Step::ok) return r;
        if (state_of(s) == kStateIdle) {
            // End of the response: the BMC leaves one dummy byte to read.
            r = wait_obf_set();
            if (r != Step::ok) return r;
            (void)io_.read8(0);
            break;
        }
        if (state_of(s) != kStateRead) return Step::protocol;
        r = wait_obf_set();
        if (r != Step::ok) return r;
        uint8_t byte = io_.read8(0);
        if (count < 2) {
            header[count] = byte;
        } else if (count == 2) {
            response.completion_code = byte;
        } else if (count - 3 < kMaxResponseData) {
            response.data[count - 3] = byte;
            response.length = count - 2;
        } else {
            bad_size = true;  // keep reading: the interface must end idle
        }
        if (++count > kRunawayBytes) return Step::protocol;
        io_.write8(0, kCtrlRead);
    }
    if (count < 3) {
        bad_size = true;
        return Step::ok;
    }
    // A response to some other request (a stale one from an aborted transaction) is
    // not ours: the protocol went wrong.
    if (header[0] != static_cast<uint8_t>((request.netfn + 1) << 2) || header[1] != request.cmd) {
        return Step::protocol;
    }
    return Step::ok;
}

Kcs::Step Kcs::recover() {
    // The spec's error exit: GET_STATUS/ABORT, a 0x00 data byte, then read the error
    // status byte (if the BMC offers one) until the interface is idle.
    uint8_t s = 0;
    Step r = wait_ibf_clear(s);
    if (r != Step::ok) return r;
    io_.write8(spacing_, kCtrlGetStatusAbort);
    r = wait_ibf_clear(s);
    if (r != Step::ok) return r;
    clear_obf();
    io_.write8(0, 0x00);
    r = wait_ibf_clear(s);
    if (r != Step::ok) return r;
    if (state_of(s) == kStateRead) {
        r = wait_obf_set();
        if (r != Step::ok) return r;
        (void)io_.read8(0);  // the error status code; not needed to recover
        io_.write8(0, kCtrlRead);
        r = wait_ibf_clear(s);
        if (r != Step::ok) return r;
    }
    if (state_of(s) != kStateIdle) return Step::protocol;
    r = wait_obf_set();
    if (r != Step::ok) return r;
    (void)io_.read8(0);
    return Step::ok;
}

Status Kcs::transact(const Request& request, Response& response) {
    stalled_us_ = 0;
    response.length = 0;
    response.completion_code = 0;
    if (request.length > kMaxRequestData || (request.length != 0 && request.data == nullptr)) {
        return Status::invalid_argument;
    }
    uint8_t s = status();
    if (s == kAbsent) return Status::not_found;
    // An interface left mid-transaction or in the error state (by firmware, or by a
    // transaction a reset cut short) is brought back to idle first.
    bool need_recovery = state_of(s) != kStateIdle;
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (need_recovery) {
            Step r = recover();
            if (r == Step::timeout) return Status::device_error;
            if (r != Step::ok) continue;
        }
        bool bad_size = false;
        Step r = write_phase(request);
        if (r == Step::ok) r = read_phase(request, response, bad_size);
        if (r == Step::ok) return bad_size ? Status::bad_size : Status::ok;
        if (r == Step::timeout) break;
        need_recovery = true;
    }
    // Tidy up so the next user (Linux's ipmi_si) finds an idle interface; the budget
    // may already be spent, then this returns at once.
    (void)recover();
    return Status::device_error;
}

}  // namespace wdboot::ipmi
