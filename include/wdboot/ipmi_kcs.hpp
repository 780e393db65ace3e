// The IPMI KCS (Keyboard Controller Style) system interface: one request/response
// transaction with the BMC over two I/O registers (IPMI v2.0, chapter 9). Used by
// ipmi_watchdog.hpp; the EFI loader gives it the I/O window found through SMBIOS
// type 38 (smbios.hpp) and a Delay over BootServices->Stall.
//
// The core has no clock, so every wait polls the status register with a Delay between
// reads and counts the stalled time against a budget of kTransactionBudgetUs per
// transaction (including one error recovery and one retry): a dead BMC (status reads
// all ones, IBF never clears, the interface stuck in the error state, a response that
// never comes) ends in not_found or device_error within about a second, never a hang.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/reg_io.hpp"
#include "wdboot/status.hpp"

namespace wdboot::ipmi {

// Busy-wait for the pollers. The EFI glue implements it with BootServices->Stall, the
// tests advance their BMC model's clock.
class Delay {
public:
    virtual void stall_us(uint32_t us) = 0;

protected:
    ~Delay() = default;
};

// Status register bits (offset 1 x spacing, read).
inline constexpr uint8_t kStatusObf = 0x01;      // output buffer full: a byte for us
inline constexpr uint8_t kStatusIbf = 0x02;      // input buffer full: BMC not done with ours
inline constexpr uint8_t kStatusSmsAtn = 0x04;
inline constexpr uint8_t kStatusCd = 0x08;       // last write was to the command register
inline constexpr uint8_t kStatusStateMask = 0xC0;
inline constexpr uint8_t kStateIdle = 0x00;
inline constexpr uint8_t kStateRead = 0x40;
inline constexpr uint8_t kStateWrite = 0x80;
inline constexpr uint8_t kStateError = 0xC0;

// Control codes: to the command register, except kCtrlRead which goes to the data register.
inline constexpr uint8_t kCtrlGetStatusAbort = 0x60;
inline constexpr uint8_t kCtrlWriteStart = 0x61;
inline constexpr uint8_t kCtrlWriteEnd = 0x62;
inline constexpr uint8_t kCtrlRead = 0x68;

// Completion codes the callers tell apart.
inline constexpr uint8_t kCcOk = 0x00;
inline constexpr uint8_t kCcInvalidCommand = 0xC1;

// Bounds. A KCS message is netfn/lun + cmd (+ cc) + data; ours are at most 18 data
// bytes (Add SEL Entry: 16) and responses at most 20 (Get Device ID with auxiliary
// firmware revision: 15).
inline constexpr size_t kMaxRequestData = 32;
inline constexpr size_t kMaxResponseData = 32;
inline constexpr uint32_t kPollIntervalUs = 10;
inline constexpr uint32_t kTransactionBudgetUs = 1000000;

struct Request {
    uint8_t netfn;  // request network function (even), LUN 0
    uint8_t cmd;
    const uint8_t* data;
    size_t length;
};

struct Response {
    uint8_t completion_code;
    uint8_t data[kMaxResponseData];  // after the completion code
    size_t length;
};

// One KCS interface: the data register at offset 0 of `io`, status/command at offset
// `register_spacing` (1 for byte-adjacent ports, 4 or 16 when SMBIOS type 38 says so).
class Kcs {
public:
    Kcs(RegisterIo& io, uint32_t register_spacing, Delay& delay)
        : io_(io), spacing_(register_spacing), delay_(delay) {}

    // Sends the request and reads the response. Status::ok means a well-formed response
    // to this request came back, whatever its completion code (in response). Failures:
    //  not_found    - the status register reads all ones (nothing decodes the ports);
    //  device_error - the BMC did not follow the protocol or did not answer within the
    //                 budget, even after a GET_STATUS/ABORT recovery and one retry;
    //  bad_size     - the response was shorter than netfn + cmd + completion code, or
    //                 longer than kMaxResponseData (read to the end and dropped);
    //  invalid_argument - request data longer than kMaxRequestData.
    // Leaves the interface idle whenever the BMC lets it.
    Status transact(const Request& request, Response& response);

    // Microseconds stalled by the last transact(), for tests and logs.
    uint32_t last_stalled_us() const { return stalled_us_; }

private:
    enum class Step : uint8_t { ok, timeout, protocol };

    uint8_t status();
    Step wait_ibf_clear(uint8_t& s);
    Step wait_obf_set();
    void clear_obf();
    bool budget_left() const { return stalled_us_ < kTransactionBudgetUs; }
    void stall();
    Step write_phase(const Request& request);
    Step read_phase(const Request& request, Response& response, bool& bad_size);
    Step recover();

    RegisterIo& io_;
    uint32_t spacing_;
    Delay& delay_;
    uint32_t stalled_us_ = 0;
};

}  // namespace wdboot::ipmi
