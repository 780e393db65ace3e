// Intel 6300ESB watchdog register sequences. Behaviour checked against QEMU's
// hw/watchdog/wdt_i6300esb.c and Linux drivers/watchdog/i6300esb.c (read, not copied).
#include "wdboot/i6300esb.hpp"

namespace wdboot::i6300esb {
namespace {

// What arm() leaves in the configuration register: reset at stage-2 expiry (bit 5
// clear), 1 kHz prescaler (bit 2 clear), no stage-1 interrupt. Linux writes the same;
// an interrupt nobody handles in the EFI environment is worse than none.
constexpr uint16_t kArmedConfig = kConfigIntDisabled;

// The device reads its reboot and prescaler bits back; QEMU returns the interrupt
// type masked with 0x11, so only these two bits are compared.
constexpr uint16_t kConfigCheckMask = kConfigNoReboot | kConfigFreq1Mhz;

// A window that is not decoded (memory decoding off, device gone) reads all ones.
// A decoding device never returns 0xFFFF from the reload register (QEMU: 0 or 0x1200).
constexpr uint16_t kNotDecoding = 0xFFFF;

// Every write to BAR0 other than the unlock bytes themselves is accepted only right
// after 0x80, 0x86 to the reload register, and the unlock covers exactly one write.
void unlock(RegisterIo& mmio) {
    mmio.write8(kReloadReg, kUnlock1);
    mmio.write8(kReloadReg, kUnlock2);
}

void reload(RegisterIo& mmio) {
    unlock(mmio);
    mmio.write16(kReloadReg, kReloadBit);
}

}  // namespace

Preloads preloads_for(uint32_t timeout_ms) {
    // ticks = ceil(ms * 1e6 / 983040) = ceil(ms * 15625 / 15360): rounding up so the
    // watchdog never fires before the configured time. 64-bit: ms * 15625 > 2^32.
    uint64_t total = (static_cast<uint64_t>(timeout_ms) * 15625u + 15359u) / 15360u;
    uint32_t stage1 = static_cast<uint32_t>((total + 1) / 2);
    uint32_t stage2 = static_cast<uint32_t>(total - stage1);
    return {stage1, stage2};
}

static_assert(2ull * kMaxPreload * kTickNs >= 1000000ull * kMaxTimeoutMs,
              "kMaxTimeoutMs must fit two 20-bit stages");
static_assert(2ull * kMaxPreload * kTickNs < 1000000ull * (kMaxTimeoutMs + 1),
              "kMaxTimeoutMs is the largest timeout that fits");

bool is_i6300esb(RegisterIo& config) {
    return config.read16(kPciVendorReg) == kVendorId && config.read16(kPciDeviceReg) == kDeviceId;
}

Status enable_decoding(RegisterIo& config) {
    uint16_t cmd = config.read16(kPciCommandReg);
    if ((cmd & kPciCommandMemory) == 0) {
        config.write16(kPciCommandReg, static_cast<uint16_t>(cmd | kPciCommandMemory));
        cmd = config.read16(kPciCommandReg);
    }
    return (cmd & kPciCommandMemory) != 0 ? Status::ok : Status::device_error;
}

ResetCause read_reset_cause(RegisterIo& mmio) {
    // Linux unlocks before this read; the unlock it leaves pending is harmless to us
    // because every write we make starts with a fresh unlock sequence.
    unlock(mmio);
    uint16_t v = mmio.read16(kReloadReg);
    if (v == kNotDecoding) return ResetCause::unknown;
    return (v & kTimeoutFlag) != 0 ? ResetCause::watchdog : ResetCause::power_on;
}

Status clear_reset_cause(RegisterIo& mmio) {
    // QEMU keeps the flag through system resets and clears it only on this unlocked
    // write (bit 9, or bit 12 for old Linux); without the unlock the write is dropped.
    // Bit 8 stays clear: clearing the flag must not also restart a running timer.
    unlock(mmio);
    mmio.write16(kReloadReg, kTimeoutFlag);
    uint16_t v = mmio.read16(kReloadReg);
    if (v == kNotDecoding || (v & kTimeoutFlag) != 0) return Status::device_error;
    return Status::ok;
}

Status arm(RegisterIo& config, RegisterIo& mmio, uint32_t timeout_ms) {
    if (timeout_ms < kMinTimeoutMs || timeout_ms > kMaxTimeoutMs) return Status::invalid_argument;

    // wdboot never sets the lock bit and a system reset clears it, so a lock here was
    // set by firmware in this boot. A locked device cannot be disarmed by the agent,
    // which breaks the bless-then-disarm contract: refuse before writing anything.
    if ((config.read8(kLockReg) & kLockLock) != 0) return Status::locked;

    // With BAR0 not decoded the preload writes would vanish and the enable below would
    // start the timer on its reset preloads (2 x 0xFFFFF ticks, 34 minutes).
    if (mmio.read16(kReloadReg) == kNotDecoding) return Status::device_error;

    // The device decodes 0x60 only as a 16-bit access (other widths land in plain
    // configuration bytes and change nothing), and 0x68 only as an 8-bit access.
    config.write16(kConfigReg, kArmedConfig);
    if ((config.read16(kConfigReg) & kConfigCheckMask) != (kArmedConfig & kConfigCheckMask)) {
        return Status::device_error;
    }

    Preloads p = preloads_for(timeout_ms);
    unlock(mmio);
    mmio.write32(kTimer1Reg, p.stage1);
    unlock(mmio);
    mmio.write32(kTimer2Reg, p.stage2);
    // Restarts stage 1 from the new preload if the timer was already enabled (the
    // enable write below restarts it only on a 0 -> 1 transition).
    reload(mmio);

    // Enable, watchdog mode (free-run clear), never the lock bit: the agent, or
    // Linux's i6300esb driver, must be able to stop the timer later.
    config.write8(kLockReg, kLockEnable);
    if (config.read8(kLockReg) != kLockEnable) return Status::device_error;
    return Status::ok;
}

Status ping(RegisterIo& mmio) {
    if (mmio.read16(kReloadReg) == kNotDecoding) return Status::device_error;
    reload(mmio);
    return Status::ok;
}

Status disarm(RegisterIo& config, RegisterIo& mmio) {
    if ((config.read8(kLockReg) & kLockLock) != 0) return Status::locked;
    // Reload first, as Linux does following the datasheet, then clear enable.
    reload(mmio);
    config.write8(kLockReg, 0x00);
    return (config.read8(kLockReg) & kLockEnable) == 0 ? Status::ok : Status::device_error;
}

bool is_running(RegisterIo& config) { return (config.read8(kLockReg) & kLockEnable) != 0; }

bool is_locked(RegisterIo& config) { return (config.read8(kLockReg) & kLockLock) != 0; }

}  // namespace wdboot::i6300esb
